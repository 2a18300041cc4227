#!/usr/bin/env bash
# Builds the fuzz targets (policy role documents and predicates, SSH public keys /
# certificates / KRLs, PKCS#10 CSRs, the JSON read on the session-token hot path) with
# clang + libFuzzer + AddressSanitizer straight from the sources (against Debian's system libraries) and runs each for a bounded time over the
# corpus kept in the repository. Offline. Exits non-zero if a target crashes, leaks, times
# out on an input, or does not build.
#
#   tests/fuzz.sh                 # each target for 20 s
#   tests/fuzz.sh smoke           # the same (what tests/run.sh calls)
#   tests/fuzz.sh --time 120      # longer
#   tests/fuzz.sh --only predicate  # role, predicate, ssh_public_key, csr
#
# Environment: JIT_FUZZ_BUILD_DIR (default ~/.cache/jit-access/fuzz-build) holds objects,
# binaries and the inputs the fuzzers discover (the repository corpus is only read).
# Bazel 4 builds with gcc; libFuzzer needs clang, hence this script. The same entry points
# also run under Bazel as //services/policy:{role_parser,predicate}_fuzz_corpus_test,
# //common/ssh:public_key_fuzz_corpus_test and //common/pki:csr_fuzz_corpus_test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIME=20
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) TIME="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    smoke) shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

CXX="${CXX_FUZZ:-clang++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz.sh: installing clang" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >/dev/null
  else
    echo "fuzz.sh: $CXX not found (apt-get install clang)" >&2
    exit 2
  fi
fi

# The build directory holds binaries this script runs: it must be ours (not a directory
# another user planted in /tmp).
BUILD="${JIT_FUZZ_BUILD_DIR:-$HOME/.cache/jit-access/fuzz-build}"
# shellcheck source=deploy/lib/own_dir.sh
source "$ROOT/deploy/lib/own_dir.sh"
ensure_own_dir "$BUILD" 0700 || { echo "fuzz.sh: unsafe build directory" >&2; exit 2; }
mkdir -p "$BUILD/obj" "$BUILD/gen" "$BUILD/bin"

# Each target: name | corpus directory | fuzzer source | library sources it links (all
# repository-relative, without .cc; one line each, hence the continuations).
POLICY=services/policy
POLICY_COMMON="$POLICY/duration $POLICY/value_matcher $POLICY/trait_template $POLICY/predicate"
POLICY_ROLES="$POLICY/compiled_role $POLICY/role_parser $POLICY/role_snapshot $POLICY/decision_util \
  $POLICY/check_access $POLICY/check_request $POLICY/check_review $POLICY/cert_params \
  $POLICY/check_permission common/text/quote common/text/text_fields"
CRYPTO="common/secret common/crypto/base64 common/crypto/digest common/crypto/openssl_util \
  common/crypto/random common/crypto/ed25519 common/crypto/ca_signer"
SSH="common/ssh/wire common/ssh/public_key common/ssh/signature common/ssh/certificate \
  common/ssh/krl"
TARGETS=(
  "role|$POLICY/fuzz/corpus/role|$POLICY/fuzz/role_parser_fuzzer|$POLICY_ROLES $POLICY_COMMON"
  "predicate|$POLICY/fuzz/corpus/predicate|$POLICY/fuzz/predicate_fuzzer|$POLICY_COMMON"
  "ssh_public_key|common/ssh/fuzz/corpus/public_key|common/ssh/fuzz/public_key_fuzzer|$SSH $CRYPTO"
  "csr|common/pki/fuzz/corpus/csr|common/pki/fuzz/csr_fuzzer|common/pki/csr $CRYPTO"
  "token|common/jwt/fuzz/corpus/token|common/jwt/fuzz/token_json_fuzzer|common/jwt/strict_json \
    common/jwt/strict_json_reader common/jwt/jws common/jwt/session_token common/crypto/base64"
)

# Rebuild everything when any input changed (headers included); else reuse the binaries.
STAMP="$( (cd "$ROOT" && cat protos/jit/common/v1/*.proto protos/jit/policy/v1/*.proto \
           services/policy/*.h services/policy/*.cc services/policy/fuzz/*.cc \
           common/*.h common/*.cc common/text/*.h common/text/*.cc common/crypto/*.h common/crypto/*.cc common/ssh/*.h \
           common/ssh/*.cc common/ssh/fuzz/*.cc common/pki/*.h common/pki/*.cc \
           common/pki/fuzz/*.cc common/jwt/*.h common/jwt/*.cc common/jwt/fuzz/*.cc "$0"; "$CXX" --version) | sha256sum | cut -c1-16)"
if [[ "$(cat "$BUILD/stamp" 2>/dev/null)" != "$STAMP" ]]; then
  echo "fuzz.sh: building with $("$CXX" --version | head -1)"
  rm -rf "${BUILD:?}/obj"/* "${BUILD:?}/gen"/* "${BUILD:?}/bin"/*
  /usr/bin/protoc -I"$ROOT/protos" -I/usr/include --cpp_out="$BUILD/gen" \
    "$ROOT"/protos/jit/common/v1/*.proto "$ROOT"/protos/jit/policy/v1/policy.proto

  # SIMDJSON_THREADS_ENABLED: as in simdjson.pc (//third_party:simdjson), for the class layouts.
  CXXFLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address
            -I"$ROOT" -I"$BUILD/gen" -DSIMDJSON_THREADS_ENABLED=1 -Wall -Wextra -Wno-unused-parameter
            -Wno-missing-field-initializers -Wno-deprecated-declarations)
  obj_of() { echo "$BUILD/obj/$(echo "$1" | tr '/' '_').o"; }
  jobs=()
  for f in "$BUILD"/gen/jit/*/v1/*.pb.cc; do
    jobs+=("$f|$BUILD/obj/$(basename "${f%.cc}").o|-w")
  done
  declare -A seen=()
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r _ _ fuzzer srcs <<< "$t"
    for s in $fuzzer $srcs; do
      [[ -n "${seen[$s]:-}" ]] && continue
      seen[$s]=1
      jobs+=("$ROOT/$s.cc|$(obj_of "$s")|")
    done
  done
  export CXX
  printf '%s\n' "${jobs[@]}" | CXXFLAGS_STR="${CXXFLAGS[*]}" xargs -P "${JOBS:-2}" -I{} \
    bash -c 'IFS="|" read -r src obj extra <<< "{}"; $CXX $CXXFLAGS_STR $extra -c "$src" -o "$obj" || { echo "fuzz.sh: failed to compile $src" >&2; exit 255; }'

  ABSL_LIBS=$(ls /usr/lib/x86_64-linux-gnu/libabsl_*.so | sed -E 's#.*/lib(absl_[a-z0-9_]+)\.so#-l\1#' | tr '\n' ' ')
  LIBS="-lyaml-cpp -lre2 -lprotobuf $ABSL_LIBS -lssl -lcrypto -lsodium -lsimdjson -lfmt -lpthread"
  PROTO_OBJS=("$BUILD"/obj/*.pb.o)
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name _ fuzzer srcs <<< "$t"
    objs=()
    for s in $fuzzer $srcs; do objs+=("$(obj_of "$s")"); done
    # shellcheck disable=SC2086
    "$CXX" -fsanitize=fuzzer,address "${objs[@]}" "${PROTO_OBJS[@]}" $LIBS -o "$BUILD/bin/$name"
  done
  echo "$STAMP" > "$BUILD/stamp"
fi

failed=0
for t in "${TARGETS[@]}"; do
  IFS='|' read -r target corpus _ _ <<< "$t"
  [[ -n "$ONLY" && "$ONLY" != "$target" ]] && continue
  seeds="$ROOT/$corpus"
  found="$BUILD/found/$target"
  artifacts="$BUILD/artifacts/$target/"
  mkdir -p "$found" "$artifacts"
  echo "fuzz.sh: $target for ${TIME}s (seeds: $corpus)"
  if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$BUILD/bin/$target" \
       -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts" "$found" "$seeds" > "$BUILD/$target.log" 2>&1; then
    echo "fuzz.sh: $target OK ($(grep -E 'stat::number_of_executed_units' "$BUILD/$target.log" | awk '{print $2}') runs)"
  else
    failed=1
    echo "fuzz.sh: $target FAILED; log $BUILD/$target.log, inputs in $artifacts" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$BUILD/$target.log" | head -20 >&2 || true
  fi
done
exit "$failed"
