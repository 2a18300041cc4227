#!/usr/bin/env bash
# Installs the Debian 12 packages jit-access needs to build, test and run locally, if any
# are missing. Safe to run repeatedly; does nothing (and needs no network) when all are
# present. Needs root (apt-get) only when something is missing.
#
#   deploy/lib/ensure_deps.sh            # build + run + test packages
set -euo pipefail

packages=(
  # Build
  bazel-bootstrap g++ protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libgrpc++-dev libabsl-dev libssl-dev libpqxx-dev libpq-dev prometheus-cpp-dev
  libyaml-cpp-dev libre2-dev libsodium-dev libargon2-dev libcurl4-openssl-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libsimdjson-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  # Run and test: PostgreSQL, sshd/ssh, promtool, fuzzing, TLS tooling
  postgresql-15 postgresql-client-15 openssh-server openssh-client prometheus
  clang libclang-rt-14-dev openssl curl ca-certificates procps util-linux
  # Container images (tests/images/check.sh; the Helm checks need node and npm as well)
  podman buildah runc mmdebstrap uidmap
  # TOTP codes for the local admin (deploy/local/up.sh)
  oathtool
  # Benchmarks: the Go reference of bench/ca_bench (golang.org/x/crypto/ssh, crypto/x509)
  golang-go golang-golang-x-crypto-dev
)

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "ensure_deps: installing ${missing[*]}" >&2
if [[ "$(id -u)" != 0 ]]; then
  echo "ensure_deps: missing packages and not root; run as root or install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Package installs must not start system daemons (postgresql, sshd, prometheus): the
# constellation and the tests run their own instances on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get update -qq || echo "ensure_deps: apt-get update failed; trying the cached package lists" >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
