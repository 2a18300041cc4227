// ID token validation (OpenID Connect Core 1.0 §3.1.3.7).
//
// Checks, in order: strict compact JWS with alg in the allow-list (RS256/ES256 by default:
// never "none", never HMAC, whatever the header says); the key from the provider's JWKS
// (kid, refreshed on an unknown kid); the signature; iss equal to the provider's issuer;
// aud containing the client id, and azp equal to it when present or when there are several
// audiences; exp, iat and nbf against the injected clock with bounded skew, and iat not
// older than max_age; nonce equal (constant time) to the one bound to the login; a non-empty
// sub. Every failure is UNAUTHENTICATED "ID token ..." (UNAVAILABLE when keys cannot be
// fetched).
#ifndef JIT_SERVICES_AUTH_OIDC_ID_TOKEN_H_
#define JIT_SERVICES_AUTH_OIDC_ID_TOKEN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/jwks_cache.h"
#include "common/jwt/jws.h"
#include "nlohmann/json.hpp"

namespace jit::auth::oidc {

struct IdTokenPolicy {
  std::string issuer;
  std::string client_id;
  std::vector<jwt::JwsAlgorithm> algorithms = {jwt::JwsAlgorithm::kRS256,
                                               jwt::JwsAlgorithm::kES256};
  absl::Duration max_clock_skew = absl::Minutes(1);
  // Tokens issued longer ago than this are refused (the code was just exchanged).
  absl::Duration max_age = absl::Minutes(10);
};

// The token's claims when it is valid.
absl::StatusOr<nlohmann::json> VerifyIdToken(std::string_view token,
                                             std::string_view expected_nonce,
                                             const IdTokenPolicy& policy, JwksCache& keys,
                                             absl::Time now);

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_ID_TOKEN_H_
