// JSON Web Keys (RFC 7517) and JWK Sets: building them from our public keys, parsing sets
// published by auth (GetJwks) or an OIDC provider, and turning a key into a verifier.
//
// Supported: OKP/Ed25519 (EdDSA, RFC 8037), EC/P-256 (ES256), RSA >= 2048 bits (RS256).
#ifndef JIT_COMMON_JWT_JWK_H_
#define JIT_COMMON_JWT_JWK_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/openssl_util.h"
#include "common/jwt/jws.h"
#include "jit/auth/v1/auth.pb.h"

namespace jit::jwt {

// A public JWK as it appears in JSON; binary members stay base64url-encoded.
struct JsonWebKey {
  std::string kid;
  std::string kty;  // "OKP", "EC", "RSA"
  std::string alg;  // "" when the publisher left it out
  std::string crv;  // "Ed25519", "P-256"
  std::string use;  // "sig", or "" when absent
  std::string x;
  std::string y;
  std::string n;
  std::string e;

  bool operator==(const JsonWebKey&) const = default;
};

// JWKs for our public keys.
absl::StatusOr<JsonWebKey> Ed25519Jwk(std::string_view kid, std::string_view public_key);
absl::StatusOr<JsonWebKey> P256Jwk(std::string_view kid, EVP_PKEY* key);
absl::StatusOr<JsonWebKey> RsaJwk(std::string_view kid, EVP_PKEY* key);

// {"keys":[...]} with members in a fixed order; empty members omitted.
std::string SerializeJwkSet(const std::vector<JsonWebKey>& keys);

// Parses a JWK Set strictly (duplicate members, non-string members and private key material
// are INVALID_ARGUMENT). Keys this code cannot use (other kty/crv/alg, "use":"enc") are
// skipped, as RFC 7517 §5 allows; a duplicate "kid" among usable keys is INVALID_ARGUMENT.
absl::StatusOr<std::vector<JsonWebKey>> ParseJwkSet(std::string_view json);

// The verification key for a JWK: kty, crv and alg must agree (a missing alg is implied by
// kty/crv), the key material must be valid. INVALID_ARGUMENT otherwise.
absl::StatusOr<JwsVerificationKey> VerificationKeyFromJwk(const JsonWebKey& jwk);

// Conversions to and from the API message (jit.auth.v1.Jwk has no RSA members: auth only
// publishes EC and OKP keys).
jit::auth::v1::Jwk JwkToProto(const JsonWebKey& jwk);
JsonWebKey JwkFromProto(const jit::auth::v1::Jwk& proto);

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_JWK_H_
