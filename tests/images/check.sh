#!/usr/bin/env bash
# Builds the jit-access-policy runtime image from binaries Bazel already built (no second
# compile) and runs it the way Kubernetes does with the chart's security context: read-only
# root filesystem, non-root uid 65532, no shell, against a real PostgreSQL, until it reports
# SERVING on gRPC health - over mTLS on its port and in plaintext on its --health_addr port
# (the kubelet's probe). Prints one line per check, "PASS <name>" or "FAIL <name>: <why>",
# and the image size; exits 1 if any failed.
#
#   tests/images/check.sh                        # own throwaway PostgreSQL
#   JIT_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres tests/images/check.sh
#
# Podman keeps its images in $JIT_PODMAN_ROOT (default ~/.cache/jit-access/podman), so the
# Debian base is imported once; the test image and container are removed at the end.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1
failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

work="$(mktemp -d /tmp/jit-image-test.XXXXXX)"
chmod 0755 "$work"
export JIT_PODMAN_ROOT="${JIT_PODMAN_ROOT:-$HOME/.cache/jit-access/podman}"
export JIT_CONTAINER_ENGINE=podman
conf="$work/containers.conf"
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' >"$conf"
podman_cmd() { CONTAINERS_CONF="$conf" podman --root "$JIT_PODMAN_ROOT/root" --runroot "$JIT_PODMAN_ROOT/run" "$@"; }
tag="test-$$"
image="localhost/jit-access-policy:$tag"
container="jit-image-test-$$"
own_pg=0
database="jit_image_test_$$"
cleanup() {
  podman_cmd rm -f -t 0 "$container" >/dev/null 2>&1
  podman_cmd rmi -f "$image" >/dev/null 2>&1
  podman_cmd image prune -f >/dev/null 2>&1  # the build stage's untagged image (our root only)
  if [[ -n "${pg_url:-}" ]]; then psql "$pg_url" -qAtX -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1; fi
  [[ $own_pg == 0 ]] || tests/lib/pg.sh stop "$work/pg" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
finish() { exit $((failures > 0)); }

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  fail "image tools: podman and runc are needed (apt-get install podman buildah runc mmdebstrap)"
  finish
fi

# 1. Binaries, reused from Bazel (the same fastbuild outputs `bazel test //...` made).
disk_cache="${JIT_BAZEL_DISK_CACHE:-$HOME/.cache/jit-access/bazel-disk}"
if ! bazel build --disk_cache="$disk_cache" //services/policy:jit-policy \
  //tools/health_probe:jit-health-probe //tools/jit-bootstrap >"$work/build.log" 2>&1; then
  grep -E '^ERROR' "$work/build.log" | head -5 >&2
  fail "image build: bazel build of jit-policy failed"
  finish
fi
bazel_bin="$(bazel info bazel-bin 2>/dev/null)"

# 2. The image.
if out="$(deploy/docker/build.sh --prebuilt "$bazel_bin" --tag "$tag" policy 2>"$work/image-build.err")"; then
  size="$(awk '{print $2}' <<<"$out")"
  pass "image build: $image from the prebuilt binary, $((size / 1024 / 1024)) MiB ($size bytes)"
else
  tail -n 20 "$work/image-build.err" >&2
  fail "image build: deploy/docker/build.sh --prebuilt failed"
  finish
fi

# Nothing but the service: no shell to run.
if podman_cmd run --rm --network=none --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then
  fail "image contents: /bin/sh runs in the image"
else
  pass "image contents: no shell in the image"
fi

# 3. PostgreSQL and TLS material.
pg_url="${JIT_TEST_PG_URL:-}"
if [[ -z "$pg_url" ]]; then
  own_pg=1
  if ! pg_url="$(tests/lib/pg.sh start "$work/pg" --fast)"; then
    pg_url=""
    fail "image run: cannot start a throwaway PostgreSQL"
    finish
  fi
fi
psql "$pg_url" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $database" >/dev/null
db_url="${pg_url%/*}/$database"
"$bazel_bin/tools/jit-bootstrap/jit-bootstrap" --dir="$work/pki" --services=policy --users=admin \
  --dns=localhost --ip=127.0.0.1 >/dev/null
# The container's uid reads its own key, as a Secret mount with fsGroup would allow.
chown -R 65532:65532 "$work/pki"
chmod 0755 "$work/pki"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}
grpc_port="$(free_port)"
metrics_port="$(free_port)"
health_port="$(free_port)"

# 4. Run it as the chart does: read-only root, non-root uid, flags from JIT_* variables.
if ! podman_cmd run -d --name "$container" --read-only --user 65532:65532 --network=host \
  --cap-drop=ALL --security-opt=no-new-privileges \
  -v "$work/pki:/etc/jit/tls:ro" \
  -e JIT_LISTEN_ADDR="127.0.0.1:$grpc_port" -e JIT_METRICS_ADDR="127.0.0.1:$metrics_port" \
  -e JIT_HEALTH_ADDR="127.0.0.1:$health_port" \
  -e JIT_TLS_CERT_FILE=/etc/jit/tls/policy.pem -e JIT_TLS_KEY_FILE=/etc/jit/tls/policy.key \
  -e JIT_TLS_CA_FILE=/etc/jit/tls/internal-ca.pem -e JIT_DB_URL="$db_url" \
  -e JIT_LOG_FORMAT=json \
  "$image" >/dev/null 2>"$work/run.err"; then
  fail "image run: podman run failed: $(tail -n 3 "$work/run.err" | tr '\n' ' ')"
  finish
fi

probe_tls() {
  "$bazel_bin/tools/health_probe/jit-health-probe" --addr="localhost:$grpc_port" --timeout=1s \
    --tls_cert_file="$work/pki/user-admin.pem" --tls_key_file="$work/pki/user-admin.key" \
    --tls_ca_file="$work/pki/internal-ca.pem" >/dev/null 2>&1
}
probe_plain() {
  "$bazel_bin/tools/health_probe/jit-health-probe" --addr="127.0.0.1:$health_port" --timeout=1s \
    --plaintext >/dev/null 2>&1
}
# Poll until SERVING (or the container exits), at most 60 s: start-up runs the migrations.
serving=0
for _ in $(seq 1 120); do
  if probe_tls; then serving=1; break; fi
  [[ "$(podman_cmd inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" == true ]] || break
  sleep 0.5
done
if [[ $serving == 1 ]]; then
  pass "image run: jit-policy in the image (--read-only, --user 65532, --network=host) reports SERVING over mTLS"
else
  podman_cmd logs "$container" 2>&1 | tail -n 15 >&2
  fail "image run: jit-policy never reported SERVING (logs above)"
  finish
fi
if probe_plain; then
  pass "image run: the plaintext health port (the kubelet's gRPC probe) reports SERVING"
else
  fail "image run: the plaintext health port does not report SERVING"
fi
# Its schema exists in the database: it really migrated through the container's network.
if [[ "$(psql "$db_url" -qAtX -c "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'policy'")" == 1 ]]; then
  pass "image run: the service migrated its schema in PostgreSQL"
else
  fail "image run: no policy schema in $database"
fi
# SIGTERM (podman stop) as PID 1: a clean drain and exit 0, well before podman's kill.
podman_cmd stop -t 20 "$container" >/dev/null 2>&1
code="$(podman_cmd inspect -f '{{.State.ExitCode}}' "$container" 2>/dev/null)"
if [[ "$code" == 0 ]]; then
  pass "image run: SIGTERM stops the service cleanly (exit 0)"
else
  podman_cmd logs "$container" 2>&1 | tail -n 5 >&2
  fail "image run: exit code $code after SIGTERM"
fi
finish
