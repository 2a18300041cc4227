#!/usr/bin/env bash
# embed_sql_migrations refuses what would make a bad migration list, with one line naming the
# file, and exits 1 (which fails the build of the jit_sql_migrations target).
set -u
tool="$1"
dir="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

expect_failure() {  # expect_failure <needle> <files...>
  local needle="$1" out
  shift
  if out="$("$tool" --header="$dir/o.h" --source="$dir/o.cc" --include=o.h \
    --namespace=x --function=F "$@" 2>&1)"; then
    echo "FAIL: accepted $*"
    failures=$((failures + 1))
  elif [[ "$out" != *"$needle"* ]]; then
    echo "FAIL: for $* wanted '$needle' in: $out"
    failures=$((failures + 1))
  fi
}

mkdir -p "$dir/a" "$dir/b"
echo "SELECT 1;" >"$dir/a/0001_init.sql"
echo "SELECT 2;" >"$dir/b/0001_other.sql"
echo "SELECT 3;" >"$dir/a/001_short.sql"
echo "SELECT 4;" >"$dir/a/0002_Bad-Name.sql"
echo "SELECT 5;" >"$dir/a/0000_zero.sql"
echo "SELECT 6;" >"$dir/a/init.sql"
printf 'SELECT \0;' >"$dir/a/0003_nul.sql"

expect_failure "is also used by $dir/a/0001_init.sql" "$dir/a/0001_init.sql" "$dir/b/0001_other.sql"
expect_failure "001_short.sql: migration files must be named NNNN_name.sql" "$dir/a/001_short.sql"
expect_failure "only a-z, 0-9 and _" "$dir/a/0002_Bad-Name.sql"
expect_failure "version must be at least 1" "$dir/a/0000_zero.sql"
expect_failure "init.sql: migration files must be named" "$dir/a/init.sql"
expect_failure "contains a NUL byte" "$dir/a/0003_nul.sql"
expect_failure "cannot read" "$dir/a/0009_missing.sql"
expect_failure "bad namespace" --namespace="a::" "$dir/a/0001_init.sql"

# And the happy path writes both files.
if ! "$tool" --header="$dir/ok.h" --source="$dir/ok.cc" --include=ok.h --namespace=a::b \
  --function=F "$dir/a/0001_init.sql" || [[ ! -s "$dir/ok.h" || ! -s "$dir/ok.cc" ]]; then
  echo "FAIL: valid input not embedded"
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
