#!/bin/bash
# Runs auth_bench in smoke mode: it must finish, report no benchmark error, and end with one
# well-formed GOAL line per goal. (Speed is judged by full runs with -c opt, not here.)
set -euo pipefail
BIN="$(dirname "$0")/auth_bench"
[[ -x "$BIN" ]] || BIN="${TEST_SRCDIR}/jit_access/bench/auth_bench"
out="$(JIT_BENCH_SMOKE=1 "$BIN" 2>&1)" || { echo "$out"; echo "FAIL: auth_bench exited non-zero"; exit 1; }
echo "$out"
tail -n 2 <<<"$out" | head -n 1 | grep -Eq '^GOAL fresh_verify_vs_raw measured=[0-9]+\.[0-9]+ target=0\.9 (PASS|MISS)$' \
  || { echo "FAIL: fresh_verify_vs_raw GOAL line missing"; exit 1; }
tail -n 1 <<<"$out" | grep -Eq '^GOAL cached_verify_per_s measured=[0-9]+ target=1000000 (PASS|MISS)$' \
  || { echo "FAIL: cached_verify_per_s GOAL line missing"; exit 1; }
grep -q "INFO mode=smoke" <<<"$out" || { echo "FAIL: not in smoke mode"; exit 1; }
grep -Eq 'INFO argon2id m=65536KiB t=2 p=1 hash_ms=[0-9.]+' <<<"$out" || { echo "FAIL: argon2 line"; exit 1; }
echo PASS
