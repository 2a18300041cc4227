#!/usr/bin/env bash
# Runs every jit-access test: installs what is missing, starts a throwaway PostgreSQL on
# 127.0.0.1, runs `bazel test //...` (unit, integration and bench-smoke targets), the Helm
# chart checks (tests/helm/check.sh), the image check and the fuzz smoke runs, stops what it
# started, and ends with one line "N passed, M failed".
# Exits non-zero on any failure.
#
#   tests/run.sh                 # everything
#   tests/run.sh //common/...    # only these Bazel targets (still with PostgreSQL)
#
# Environment: JIT_BAZEL_DISK_CACHE (default ~/.cache/jit-access/bazel-disk),
# JIT_SKIP_FUZZ=1 to skip the fuzz smoke runs.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

passed=0
failed=0
failed_names=()
note_result() {  # name, 0|1
  if [[ "$2" == 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$1")
  fi
}

finish() {
  if ((${#failed_names[@]} > 0)); then
    echo "Failed:"
    printf '  %s\n' "${failed_names[@]}"
  fi
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit $?
}

# 1. Packages.
if ! deploy/lib/ensure_deps.sh; then
  note_result "ensure_deps (package installation)" 1
  finish
fi

# 2. A throwaway PostgreSQL (its directory must be reachable by the postgres user).
work="$(mktemp -d /tmp/jit-tests.XXXXXX)"
chmod 0755 "$work"
pg_dir="$work/pg"
cleanup() {
  tests/lib/pg.sh stop "$pg_dir" >/dev/null 2>&1
  bazel shutdown >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
if ! pg_url="$(tests/lib/pg.sh start "$pg_dir" --fast)"; then
  note_result "start throwaway PostgreSQL" 1
  finish
fi

# 3. Bazel: every test target. The disk cache lives outside the clone so a fresh clone
# rebuilds quickly.
disk_cache="${JIT_BAZEL_DISK_CACHE:-$HOME/.cache/jit-access/bazel-disk}"
mkdir -p "$disk_cache"
targets=("$@")
((${#targets[@]} > 0)) || targets=(//...)
log="$work/bazel-test.log"
bazel test --disk_cache="$disk_cache" --keep_going \
  --test_env=JIT_TEST_PG_URL="$pg_url" --test_env=JIT_BENCH_SMOKE=1 \
  -- "${targets[@]}" 2>&1 | tee "$log" | grep -E --line-buffered \
  '^(//|ERROR:|FAIL|Executed|INFO: Build completed)'
# Read at once: any further command (an `|| true` too) replaces PIPESTATUS.
statuses=("${PIPESTATUS[@]}")
bazel_rc=${statuses[0]}

# One result per test target, from Bazel's summary lines.
while read -r target status; do
  case "$status" in
    PASSED | FLAKY) note_result "$target" 0 ;;
    *) note_result "$target ($status)" 1 ;;
  esac
done < <(grep -E '^//[^ ]+ +(\(cached\) +)?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD|INCOMPLETE|SKIPPED)' "$log" |
  sed -E 's/ +\(cached\)//; s/^(\/\/[^ ]+) +([A-Z ]+[A-Z]).*/\1 \2/' | sed -E 's/ in [0-9.]+s$//')
# Bazel failing with no per-target verdict (analysis or build errors) is a failure too.
if [[ $bazel_rc != 0 ]] && ! grep -qE '^//[^ ]+ +(\(cached\) +)?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)' "$log"; then
  note_result "bazel test (exit $bazel_rc; see errors above)" 1
fi

# 4. The Helm chart, offline (helm lint/template, Kubernetes API schemas, the services' flags
# against the chart's values), and the runtime image built from the binaries above and run
# read-only as non-root against PostgreSQL. Each script prints one PASS/FAIL line per check.
note_lines() {  # label, script...
  local label="$1" lines=0 line
  shift
  while IFS= read -r line; do
    case "$line" in
      "PASS "*) note_result "$label: ${line#PASS }" 0 ;;
      "FAIL "*) note_result "$label: ${line#FAIL }" 1 ;;
      *) continue ;;
    esac
    echo "$line"
    lines=$((lines + 1))
  done < <("$@" 2>"$work/$label.err")
  if ((lines == 0)); then
    tail -n 5 "$work/$label.err" >&2
    note_result "$label checks (no result)" 1
  fi
}
if [[ $# == 0 ]]; then
  note_lines helm tests/helm/check.sh
  JIT_TEST_PG_URL="$pg_url" note_lines image tests/images/check.sh
fi

# 5. Fuzz smoke runs (clang/libFuzzer, bounded time).
if [[ "${JIT_SKIP_FUZZ:-0}" != 1 && $# == 0 && -x tests/fuzz.sh ]]; then
  if tests/fuzz.sh smoke; then note_result "fuzz smoke" 0; else note_result "fuzz smoke" 1; fi
fi

finish
