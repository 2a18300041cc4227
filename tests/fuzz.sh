#!/usr/bin/env bash
# Builds the fuzz targets (policy: role, predicate; common/jwt: token, the JSON read on the
# token hot path) with clang + libFuzzer + AddressSanitizer straight from the sources
# (against Debian's system libraries) and runs each for a bounded time over the corpus kept
# in the repository. Offline. Exits non-zero if a target crashes, leaks, times out on an
# input, or does not build.
#
#   tests/fuzz.sh                 # each target for 20 s
#   tests/fuzz.sh smoke           # the same (what tests/run.sh calls)
#   tests/fuzz.sh --time 120      # longer
#   tests/fuzz.sh --only predicate
#
# Environment: JIT_FUZZ_BUILD_DIR (default ~/.cache/jit-access/fuzz-build) holds objects,
# binaries and the inputs the fuzzers discover (the repository corpus is only read).
# Bazel 4 builds with gcc; libFuzzer needs clang, hence this script. The policy entry points
# also run under Bazel as //services/policy:{role_parser,predicate}_fuzz_corpus_test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIME=20
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) TIME="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    smoke) shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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

POLICY="$ROOT/services/policy"
COMMON_SRCS=(duration value_matcher trait_template predicate)
ROLE_SRCS=(compiled_role role_parser role_snapshot decision_util check_access check_request
           check_review cert_params check_permission)
JWT="$ROOT/common/jwt"
TOKEN_SRCS=(common/jwt/strict_json common/jwt/strict_json_reader common/jwt/jws
            common/jwt/session_token common/crypto/base64)

# Rebuild everything when any input changed (headers included); else reuse the binaries.
STAMP="$( (cd "$ROOT" && cat protos/jit/common/v1/*.proto protos/jit/policy/v1/*.proto \
           services/policy/*.h services/policy/*.cc services/policy/fuzz/*.cc \
           common/jwt/*.h common/jwt/*.cc common/jwt/fuzz/*.cc common/crypto/base64.* \
           "$0"; "$CXX" --version) | sha256sum | cut -c1-16)"
if [[ "$(cat "$BUILD/stamp" 2>/dev/null)" != "$STAMP" ]]; then
  echo "fuzz.sh: building with $("$CXX" --version | head -1)"
  rm -rf "${BUILD:?}/obj"/* "${BUILD:?}/gen"/* "${BUILD:?}/bin"/*
  /usr/bin/protoc -I"$ROOT/protos" -I/usr/include --cpp_out="$BUILD/gen" \
    "$ROOT"/protos/jit/common/v1/*.proto "$ROOT"/protos/jit/policy/v1/policy.proto

  # SIMDJSON_THREADS_ENABLED: as in simdjson.pc (//third_party:simdjson), for the class layouts.
  CXXFLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address
            -I"$ROOT" -I"$BUILD/gen" -DSIMDJSON_THREADS_ENABLED=1 -Wall -Wextra
            -Wno-unused-parameter -Wno-missing-field-initializers -Wno-deprecated-declarations)
  jobs=()
  for f in "$BUILD"/gen/jit/*/v1/*.pb.cc; do
    jobs+=("$f|$BUILD/obj/$(basename "${f%.cc}").o|-w")
  done
  for s in "${COMMON_SRCS[@]}" "${ROLE_SRCS[@]}"; do
    jobs+=("$POLICY/$s.cc|$BUILD/obj/$s.o|")
  done
  for s in role_parser_fuzzer predicate_fuzzer; do
    jobs+=("$POLICY/fuzz/$s.cc|$BUILD/obj/$s.o|")
  done
  for s in "${TOKEN_SRCS[@]}"; do
    jobs+=("$ROOT/$s.cc|$BUILD/obj/token_$(basename "$s").o|")
  done
  jobs+=("$JWT/fuzz/token_json_fuzzer.cc|$BUILD/obj/token_json_fuzzer.o|")
  export CXX
  printf '%s\n' "${jobs[@]}" | CXXFLAGS_STR="${CXXFLAGS[*]}" xargs -P "${JOBS:-2}" -I{} \
    bash -c 'IFS="|" read -r src obj extra <<< "{}"; $CXX $CXXFLAGS_STR $extra -c "$src" -o "$obj" || { echo "fuzz.sh: failed to compile $src" >&2; exit 255; }'

  ABSL_LIBS=$(ls /usr/lib/x86_64-linux-gnu/libabsl_*.so | sed -E 's#.*/lib(absl_[a-z0-9_]+)\.so#-l\1#' | tr '\n' ' ')
  LIBS="-lyaml-cpp -lre2 -lprotobuf $ABSL_LIBS -lpthread"
  PROTO_OBJS=("$BUILD"/obj/*.pb.o)
  common_objs=()
  for s in "${COMMON_SRCS[@]}"; do common_objs+=("$BUILD/obj/$s.o"); done
  role_objs=()
  for s in "${ROLE_SRCS[@]}"; do role_objs+=("$BUILD/obj/$s.o"); done
  # shellcheck disable=SC2086
  "$CXX" -fsanitize=fuzzer,address "$BUILD/obj/role_parser_fuzzer.o" "${role_objs[@]}" \
    "${common_objs[@]}" "${PROTO_OBJS[@]}" $LIBS -o "$BUILD/bin/role"
  # shellcheck disable=SC2086
  "$CXX" -fsanitize=fuzzer,address "$BUILD/obj/predicate_fuzzer.o" "${common_objs[@]}" \
    "${PROTO_OBJS[@]}" $LIBS -o "$BUILD/bin/predicate"
  token_objs=()
  for s in "${TOKEN_SRCS[@]}"; do token_objs+=("$BUILD/obj/token_$(basename "$s").o"); done
  # shellcheck disable=SC2086
  "$CXX" -fsanitize=fuzzer,address "$BUILD/obj/token_json_fuzzer.o" "${token_objs[@]}" \
    "${PROTO_OBJS[@]}" -lsimdjson $LIBS -o "$BUILD/bin/token"
  echo "$STAMP" > "$BUILD/stamp"
fi

failed=0
declare -A SEEDS=([role]=services/policy/fuzz/corpus/role
                  [predicate]=services/policy/fuzz/corpus/predicate
                  [token]=common/jwt/fuzz/corpus/token)
for target in role predicate token; do
  [[ -n "$ONLY" && "$ONLY" != "$target" ]] && continue
  seeds="$ROOT/${SEEDS[$target]}"
  found="$BUILD/found/$target"
  artifacts="$BUILD/artifacts/$target/"
  mkdir -p "$found" "$artifacts"
  echo "fuzz.sh: $target for ${TIME}s (seeds: ${SEEDS[$target]})"
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
