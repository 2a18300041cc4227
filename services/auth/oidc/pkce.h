// PKCE (RFC 7636) with the S256 method only ("plain" gives no protection against a stolen
// authorization request).
#ifndef JIT_SERVICES_AUTH_OIDC_PKCE_H_
#define JIT_SERVICES_AUTH_OIDC_PKCE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::auth::oidc {

// A fresh code_verifier: 43 characters of base64url over 32 random bytes (§4.1).
absl::StatusOr<SecretString> CreatePkceVerifier();

// code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) (§4.2).
std::string PkceS256Challenge(std::string_view verifier);

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_PKCE_H_
