#!/usr/bin/env bash
# ensure_own_dir (own_dir.sh): creates what is missing, keeps what is ours, refuses what
# another user could have planted.
set -uo pipefail
source "$(dirname "$0")/own_dir.sh"
tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/own_dir.XXXXXX")"
failures=0
expect() {  # description, expected exit code, command...
  local what="$1" want="$2"
  shift 2
  "$@" 2>"$tmp/err"
  local got=$?
  if [[ $got != "$want" ]]; then
    echo "FAIL: $what: exit $got, want $want ($(cat "$tmp/err"))"
    failures=$((failures + 1))
  fi
}

expect "a missing directory is created" 0 ensure_own_dir "$tmp/new/nested" 0700
[[ "$(stat -c %a "$tmp/new/nested")" == 700 ]] || { echo "FAIL: mode not set"; failures=$((failures + 1)); }
expect "our own directory is kept" 0 ensure_own_dir "$tmp/new/nested" 0755
[[ "$(stat -c %a "$tmp/new/nested")" == 755 ]] || { echo "FAIL: mode not reset"; failures=$((failures + 1)); }

mkdir "$tmp/open" && chmod 0777 "$tmp/open"
expect "a directory writable by others is refused" 1 ensure_own_dir "$tmp/open" 0700
grep -q "writable by group or others" "$tmp/err" || { echo "FAIL: no reason given"; failures=$((failures + 1)); }

ln -s "$tmp/new" "$tmp/link"
expect "a symbolic link is refused" 1 ensure_own_dir "$tmp/link" 0700

if [[ $(id -u) == 0 ]]; then
  mkdir "$tmp/foreign" && chown 65534 "$tmp/foreign"
  expect "another user's directory is refused" 1 ensure_own_dir "$tmp/foreign" 0700
  grep -q "belongs to uid 65534" "$tmp/err" || { echo "FAIL: no owner named"; failures=$((failures + 1)); }
else
  echo "(not root: the foreign-owner case needs chown; skipped)"
fi

rm -rf "$tmp"
((failures == 0)) && echo "own_dir_test: OK"
exit $((failures > 0))
