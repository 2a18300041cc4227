#!/usr/bin/env bash
# Runs a benchmark binary in smoke mode and checks that it completes and reports every goal
# in the agreed format and its reference measured in the same run. Timing is not asserted
# here (that is the bench's job, by hand).
#
#   bench_smoke_test.sh BENCH_BINARY REF_NAME
set -euo pipefail
bench="$1"
ref="$2"
out="$(JIT_BENCH_SMOKE=1 "$bench" 2>&1)" || { echo "$out"; echo "bench failed" >&2; exit 1; }
echo "$out"
goals=$(grep -cE '^GOAL [a-z0-9_]+ measured=[0-9.]+[a-z]* target=[0-9.]+[a-z]* (PASS|MISS)$' <<< "$out" || true)
if [[ "$goals" -lt 1 ]]; then
  echo "no GOAL lines in the expected format" >&2
  exit 1
fi
if grep -q 'measured=none' <<< "$out"; then
  echo "a goal was not measured" >&2
  exit 1
fi
grep -qE "^REF $ref measured=[0-9.]+[a-z]*" <<< "$out" || { echo "no reference line REF $ref" >&2; exit 1; }
echo "smoke OK: $goals goals reported"
