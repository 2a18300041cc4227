#!/bin/bash
# The jit binary as a person meets it: complete --help, a bad command line and a failed
# command exit non-zero with one sentence that says what to do, nothing is written to
# stdout on failure, and the session directory is private.
set -euo pipefail
BIN="$(dirname "$0")/jit"
[[ -x "$BIN" ]] || BIN="${TEST_SRCDIR}/jit_access/tools/jit/jit"
fail() { echo "FAIL: $*" >&2; exit 1; }
export HOME="$TEST_TMPDIR/home" JIT_HOME="" JIT_LOCAL_DIR="$TEST_TMPDIR/nolocal"
mkdir -p "$HOME"

help="$("$BIN" --help)"
for c in login logout status request --format --auth-addr --requests-addr --ca-file; do
  grep -q -- "$c" <<<"$help" || fail "--help does not mention $c: $help"
done
rhelp="$("$BIN" request --help)"
for c in create ls show approve deny cancel revoke break-glass; do
  grep -q -- "$c" <<<"$rhelp" || fail "request --help does not mention $c"
done
"$BIN" request create --help | grep -q -- "--duration" || fail "create --help lacks --duration"

set +e
out="$("$BIN" 2>"$TEST_TMPDIR/err")"; rc=$?
set -e
((rc != 0)) || fail "no subcommand exited 0"

# An empty CA bundle is refused (gRPC would fall back to the system's roots).
mkdir -p "$JIT_LOCAL_DIR/pki" && touch "$JIT_LOCAL_DIR/pki/internal-ca.pem"
set +e
"$BIN" status 2>"$TEST_TMPDIR/err"; rc=$?
set -e
((rc == 1)) || fail "empty CA bundle exited $rc"
grep -q "CA bundle $JIT_LOCAL_DIR/pki/internal-ca.pem has no certificate" "$TEST_TMPDIR/err" \
  || fail "$(cat "$TEST_TMPDIR/err")"
cp "${TEST_SRCDIR}/jit_access/common/testing/pki/internal-ca.pem" "$JIT_LOCAL_DIR/pki/internal-ca.pem"

# Not logged in: one sentence naming `jit login`, exit 1, empty stdout.
set +e
out="$("$BIN" status 2>"$TEST_TMPDIR/err")"; rc=$?
set -e
((rc == 1)) || fail "status without login exited $rc"
[[ -z "$out" ]] || fail "stdout on failure: $out"
[[ "$(wc -l <"$TEST_TMPDIR/err")" == 1 ]] || fail "error is not one line: $(cat "$TEST_TMPDIR/err")"
grep -q "^jit: not logged in; run \`jit login\`" "$TEST_TMPDIR/err" || fail "$(cat "$TEST_TMPDIR/err")"

# No CA bundle: says where to put one.
set +e
"$BIN" --ca-file="$TEST_TMPDIR/missing.pem" request ls 2>"$TEST_TMPDIR/err"; rc=$?
set -e
((rc == 1)) || fail "missing CA exited $rc"
grep -q "cannot read the CA bundle $TEST_TMPDIR/missing.pem; start the local services" \
  "$TEST_TMPDIR/err" || fail "$(cat "$TEST_TMPDIR/err")"

# A service that is not there: UNAVAILABLE in one sentence naming the address, exit 1.
cp "${TEST_SRCDIR}/jit_access/common/testing/pki/internal-ca.pem" "$JIT_LOCAL_DIR/pki/internal-ca.pem"
set +e
echo pw | "$BIN" --auth-addr=127.0.0.1:1 --timeout=2s login --user alice --password-stdin \
  2>"$TEST_TMPDIR/err"; rc=$?
set -e
((rc == 1)) || fail "login to a closed port exited $rc"
grep -q "auth service at 127.0.0.1:1 is unavailable" "$TEST_TMPDIR/err" || fail "$(cat "$TEST_TMPDIR/err")"
[[ ! -e "$HOME/.jit/session" ]] || fail "a failed login stored a session"

# Bad values: CLI11's own error, non-zero.
set +e
"$BIN" --format=yaml status 2>/dev/null; rc=$?
set -e
((rc != 0)) || fail "--format=yaml accepted"
echo "timeout = soon" >"$TEST_TMPDIR/cfg" && mkdir -p "$HOME/.jit" && cp "$TEST_TMPDIR/cfg" "$HOME/.jit/config"
set +e
"$BIN" status 2>"$TEST_TMPDIR/err"; rc=$?
set -e
((rc == 1)) || fail "bad config timeout exited $rc"
grep -q "$HOME/.jit/config" "$TEST_TMPDIR/err" || fail "$(cat "$TEST_TMPDIR/err")"
# Bash completion generated from the command tree.
script="$("$BIN" completion bash)"
complete_words() {  # words typed so far (the last one is being completed)
  bash -c 'eval "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _jit; echo "${COMPREPLY[*]}"' \
    _ "$script" "$@"
}
[[ "$(complete_words jit re)" == "request" ]] || fail "jit re<TAB>: $(complete_words jit re)"
got="$(complete_words jit request a)"
[[ "$got" == "approve" ]] || fail "jit request a<TAB>: $got"
got="$(complete_words jit --format json request create --du)"
[[ "$got" == "--duration" ]] || fail "jit request create --du<TAB>: $got"
got="$(complete_words jit request create --dr)"
[[ "$got" == "--dry-run" ]] || fail "jit request create --dr<TAB>: $got"
got="$(complete_words jit request ls --)"
grep -q -- "--reviewable" <<<"$got" || fail "jit request ls --<TAB>: $got"
echo PASS
