// Compact JWS (RFC 7515) for JWTs (RFC 7519): strict parsing, signing and verification for
// the asymmetric algorithms jit-access accepts: EdDSA (Ed25519, RFC 8037), ES256 and RS256
// (RFC 7518).
//
// Why not Debian's libjwt (1.10): it has no EdDSA and no JWK support, it picks the
// verification algorithm from the token's own header (the root of the classic "RS256 public
// key used as an HS256 secret" confusion, which libjwt shipped as a CVE), and it keeps the
// last of duplicate JSON members. The layer needed here is small: split, strict base64url,
// strict JSON, an algorithm allow-list fixed by the verifier, and a signature check through
// common/crypto. "none" and every HMAC algorithm are unknown names here, so they can never
// be selected, whatever a header says.
#ifndef JIT_COMMON_JWT_JWS_H_
#define JIT_COMMON_JWT_JWS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/signer.h"
#include "nlohmann/json.hpp"

namespace jit::jwt {

enum class JwsAlgorithm { kEdDSA, kES256, kRS256 };

std::string_view JwsAlgorithmName(JwsAlgorithm alg);
// INVALID_ARGUMENT for anything but "EdDSA", "ES256" and "RS256" (so for "none", "HS256", ...).
absl::StatusOr<JwsAlgorithm> JwsAlgorithmFromName(std::string_view name);

// Tokens larger than this are refused before any decoding.
inline constexpr size_t kMaxJwsBytes = 16 * 1024;

// A compact JWS split and decoded. The signature has NOT been checked.
struct UnverifiedJws {
  JwsAlgorithm alg;
  std::string kid;  // "" when the header has none.
  std::string typ;  // "" when the header has none.
  std::string payload;        // Decoded payload bytes.
  std::string signing_input;  // ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
  std::string signature;      // Decoded signature bytes.
};

// Splits and decodes `token`. INVALID_ARGUMENT (with a message naming the defect) for: more or
// fewer than three parts, empty or oversized parts, bad base64url, header that is not a JSON
// object or has duplicate members, an "alg" that is missing, unknown or not in `allowed`, a
// non-string "kid", a "typ" other than "JWT", or any "crit" parameter (no extension is
// understood, RFC 7515 §4.1.11).
absl::StatusOr<UnverifiedJws> ParseCompactJws(std::string_view token,
                                              absl::Span<const JwsAlgorithm> allowed);

// A public key a JWS may be checked with: its id, the one algorithm it may be used with, and
// the verifier. Shared between caches and verifications.
struct JwsVerificationKey {
  std::string kid;
  JwsAlgorithm alg;
  std::shared_ptr<const crypto::Verifier> verifier;
};

// INVALID_ARGUMENT when the header's algorithm differs from the key's (alg/kty confusion) or
// the signature does not verify.
absl::Status VerifyJwsSignature(const UnverifiedJws& jws, const JwsVerificationKey& key);

// Produces a compact JWS with header {"alg","kid","typ":"JWT"} over the serialized `payload`.
// `signer` must produce signatures in the JWS form of `alg` (raw r||s for ES256).
absl::StatusOr<std::string> SignCompactJws(JwsAlgorithm alg, std::string_view kid,
                                           const nlohmann::json& payload,
                                           const crypto::Signer& signer);

// Same, with the header given in full (tests use it to forge tokens with odd headers).
absl::StatusOr<std::string> SignCompactJwsWithHeader(const nlohmann::json& header,
                                                     std::string_view payload,
                                                     const crypto::Signer& signer);

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_JWS_H_
