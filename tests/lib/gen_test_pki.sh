#!/usr/bin/env bash
# Creates throwaway TLS material for tests: an internal CA and one certificate per name,
# each with URI SAN spiffe://jit-access/service/<name> and SANs localhost + 127.0.0.1,
# usable for both server and client auth. Uses the openssl CLI only.
#
#   gen_test_pki.sh OUT_DIR NAME...   -> OUT_DIR/internal-ca.pem (the CA bundle),
#                                        OUT_DIR/<name>.pem, OUT_DIR/<name>.key
set -euo pipefail
out=$1
shift
mkdir -p "$out"
cd "$out"
for name in "$@"; do
  [[ "$name" != internal-ca ]] || { echo "gen_test_pki.sh: name internal-ca is reserved" >&2; exit 2; }
done
if [[ ! -f internal-ca.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=jit-access/CN=jit-access test CA" -keyout internal-ca.key -out internal-ca.pem \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
for name in "$@"; do
  cat > "$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=URI:spiffe://jit-access/service/$name,DNS:localhost,IP:127.0.0.1
EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/O=jit-access/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA internal-ca.pem -CAkey internal-ca.key -CAcreateserial -days 3650 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  chmod 0600 "$name.key"
done
chmod 0600 internal-ca.key
