#!/bin/bash
# End-to-end check of the jit-bootstrap binary: first run creates, second run keeps, a
# changed request is refused without --force, and files have the right modes.
set -euo pipefail
BIN="$(dirname "$0")/jit-bootstrap"
[[ -x "$BIN" ]] || BIN="${TEST_SRCDIR}/jit_access/tools/jit-bootstrap/jit-bootstrap"
DIR="${TEST_TMPDIR}/pki"
fail() { echo "FAIL: $*" >&2; exit 1; }

out="$("$BIN" --dir="$DIR" --services=auth,ca --dns=localhost --ip=127.0.0.1)"
grep -q "created CA $DIR/internal-ca.pem" <<<"$out" || fail "no CA created: $out"
grep -q "issued $DIR/ca.pem" <<<"$out" || fail "ca service not issued: $out"
[[ "$(stat -c %a "$DIR")" == 700 ]] || fail "dir mode $(stat -c %a "$DIR")"
for f in internal-ca auth ca; do
  [[ "$(stat -c %a "$DIR/$f.key")" == 600 ]] || fail "$f.key mode"
  [[ "$(stat -c %a "$DIR/$f.pem")" == 644 ]] || fail "$f.pem mode"
done
openssl verify -CAfile "$DIR/internal-ca.pem" -purpose sslserver "$DIR/auth.pem" >/dev/null \
  || fail "openssl verify (server)"
openssl verify -CAfile "$DIR/internal-ca.pem" -purpose sslclient "$DIR/auth.pem" >/dev/null \
  || fail "openssl verify (client)"
openssl x509 -in "$DIR/auth.pem" -noout -ext subjectAltName \
  | grep -q "URI:spiffe://jit-access/service/auth" || fail "URI SAN missing"
openssl x509 -in "$DIR/internal-ca.pem" -noout -ext basicConstraints | grep -q "CA:TRUE, pathlen:0" \
  || fail "CA basicConstraints"

sum_before="$(sha256sum "$DIR"/*.pem)"
out="$("$BIN" --dir="$DIR" --services=auth,ca --dns=localhost --ip=127.0.0.1)"
grep -q "reused CA" <<<"$out" || fail "CA not reused: $out"
grep -q "kept $DIR/auth.pem" <<<"$out" || fail "not kept: $out"
[[ "$(sha256sum "$DIR"/*.pem)" == "$sum_before" ]] || fail "files changed on rerun"

if err="$("$BIN" --dir="$DIR" --services=auth --dns=other 2>&1)"; then
  fail "changed SANs accepted without --force"
fi
grep -q -- "--force" <<<"$err" || fail "refusal does not mention --force: $err"

"$BIN" --dir="$DIR" --services=auth --dns=other --force >/dev/null || fail "--force failed"
openssl x509 -in "$DIR/auth.pem" -noout -ext subjectAltName | grep -q "DNS:other" \
  || fail "forced certificate lacks new SAN"

if "$BIN" --dir="$DIR" --services=Bad_Name 2>/dev/null; then fail "bad name accepted"; fi
if "$BIN" --dir="$DIR" --services=internal-ca 2>/dev/null; then fail "reserved name accepted"; fi
echo PASS
