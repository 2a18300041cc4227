#!/usr/bin/env bash
# Builds the jit-access runtime images jit-access-<service>:<tag> with docker or podman,
# whichever is present, offline: the Debian 12 base comes from mmdebstrap (podman/buildah
# import it as localhost/debian-bookworm:base) and no registry is needed.
#
#   deploy/docker/build.sh [--prebuilt <dir>] [--tag <tag>] [service ...]
#
#   --prebuilt <dir>   take jit-<service> binaries from <dir> (e.g. bazel-bin/services/*/,
#                      given as a directory holding them) instead of building them with
#                      Bazel inside the image's build stage; the host must be Debian 12
#   --tag <tag>        image tag (default dev)
#   image ...          some of auth ca requests policy audit jit (default: all six;
#                      jit is the CLI, tools/jit)
#
# Environment: JIT_CONTAINER_ENGINE (docker|podman) to choose; JIT_PODMAN_ROOT to keep
# podman's images in a storage root of its own (tests); JIT_IMAGE_CACHE for base.tar
# (default ~/.cache/jit-access/images). Prints "<image> <size in bytes>" per image built.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
say() { echo "build.sh: $*" >&2; }

prebuilt=""
tag=dev
services=()
while (($# > 0)); do
  case "$1" in
    --prebuilt) prebuilt="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    auth | ca | requests | policy | audit | jit) services+=("$1"); shift ;;
    *) say "unknown argument '$1'"; exit 2 ;;
  esac
done
((${#services[@]} > 0)) || services=(auth ca requests policy audit jit)

# The engine, and podman's settings for this kind of VM (crun cannot set rlimits here).
engine="${JIT_CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null; then engine=podman
  else say "neither docker nor podman is installed (apt-get install podman buildah runc)"; exit 1
  fi
fi
engine_cmd=("$engine")
if [[ "$engine" == podman ]]; then
  conf="$(mktemp)"
  trap 'rm -f "$conf"' EXIT
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' >"$conf"
  export CONTAINERS_CONF="$conf"
  if [[ -n "${JIT_PODMAN_ROOT:-}" ]]; then
    engine_cmd+=(--root "$JIT_PODMAN_ROOT/root" --runroot "$JIT_PODMAN_ROOT/run")
  fi
fi

# The base image, made once from the Debian mirror and cached as a tarball.
base=localhost/debian-bookworm:base
if ! "${engine_cmd[@]}" image inspect "$base" >/dev/null 2>&1; then
  cache="${JIT_IMAGE_CACHE:-$HOME/.cache/jit-access/images}"
  tarball="$cache/debian-bookworm-minbase.tar"
  if [[ ! -s "$tarball" ]]; then
    command -v mmdebstrap >/dev/null || { say "mmdebstrap is missing (apt-get install mmdebstrap)"; exit 1; }
    mkdir -p "$cache"
    say "making the Debian 12 base with mmdebstrap (about 30 s)"
    mmdebstrap --quiet --variant=minbase \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      bookworm "$cache/partial.tar"  # the .tar ending makes mmdebstrap write a tarball
    mv "$cache/partial.tar" "$tarball"
  fi
  "${engine_cmd[@]}" import "$tarball" "$base" >/dev/null
fi

build_args=(--build-arg "BASE_IMAGE=$base")
stage=deploy/docker/.stage
rm -rf "$stage"
if [[ -n "$prebuilt" ]]; then
  build_args+=(--build-arg BINARIES=prebuilt)
  mkdir -p "$stage"
  for s in "${services[@]}"; do
    if [[ $s == jit ]]; then
      bin="$prebuilt/jit"
      [[ -x "$bin" && ! -d "$bin" ]] || bin="$prebuilt/tools/jit/jit"  # a bazel-bin directory
    else
      bin="$prebuilt/jit-$s"
      [[ -x "$bin" ]] || bin="$prebuilt/services/$s/jit-$s"  # a bazel-bin directory
    fi
    [[ -x "$bin" && ! -d "$bin" ]] || { say "no binary for $s in $prebuilt"; exit 1; }
    deploy/docker/collect.sh "$bin" "$stage/$s"
  done
fi
trap 'rm -rf "$stage"; [[ -z "${conf:-}" ]] || rm -f "$conf"' EXIT

ignore_args=()
if [[ "$engine" == podman ]]; then ignore_args=(--ignorefile deploy/docker/Dockerfile.dockerignore); fi
for s in "${services[@]}"; do
  image="localhost/jit-access-$s:$tag"
  say "building $image"
  "${engine_cmd[@]}" build --quiet -f deploy/docker/Dockerfile "${ignore_args[@]}" \
    "${build_args[@]}" --target "$s" -t "$image" . >/dev/null
  echo "$image $("${engine_cmd[@]}" image inspect --format '{{.Size}}' "$image")"
done
