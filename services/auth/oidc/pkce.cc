#include "services/auth/oidc/pkce.h"

#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"

namespace jit::auth::oidc {

absl::StatusOr<SecretString> CreatePkceVerifier() {
  absl::StatusOr<std::string> token = crypto::RandomToken(32);
  if (!token.ok()) return token.status();
  return SecretString(*std::move(token));
}

std::string PkceS256Challenge(std::string_view verifier) {
  return crypto::Base64UrlEncode(crypto::Sha256String(verifier));
}

}  // namespace jit::auth::oidc
