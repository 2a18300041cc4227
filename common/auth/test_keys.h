// Session signing keys for tests: an Ed25519 key, its JWK and an issuer that signs with it.
#ifndef JIT_COMMON_AUTH_TEST_KEYS_H_
#define JIT_COMMON_AUTH_TEST_KEYS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/jwt/jwk.h"
#include "common/jwt/session_token.h"

namespace jit::auth::testing {

struct TestSessionKey {
  std::string kid;
  jwt::JsonWebKey jwk;
  std::shared_ptr<crypto::Signer> signer;
  std::unique_ptr<jwt::SessionTokenIssuer> issuer;
};

absl::StatusOr<TestSessionKey> MakeTestSessionKey(const std::string& kid,
                                                  const std::string& issuer = "jit-access",
                                                  const std::string& audience = "jit-test");

// A user identity with a session id, roles and traits.
jit::common::v1::Identity TestUser(const std::string& name, const std::string& session_id);

}  // namespace jit::auth::testing

#endif  // JIT_COMMON_AUTH_TEST_KEYS_H_
