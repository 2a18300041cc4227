#include "common/auth/test_keys.h"

#include "common/crypto/ed25519.h"

namespace jit::auth::testing {

absl::StatusOr<TestSessionKey> MakeTestSessionKey(const std::string& kid, const std::string& issuer,
                                                  const std::string& audience) {
  absl::StatusOr<SecretString> seed = crypto::GenerateEd25519Seed();
  if (!seed.ok()) return seed.status();
  absl::StatusOr<std::unique_ptr<crypto::Ed25519Signer>> signer =
      crypto::Ed25519Signer::Create(*seed);
  if (!signer.ok()) return signer.status();
  TestSessionKey key;
  key.kid = kid;
  absl::StatusOr<jwt::JsonWebKey> jwk = jwt::Ed25519Jwk(kid, (*signer)->public_key());
  if (!jwk.ok()) return jwk.status();
  key.jwk = *jwk;
  key.signer = std::move(*signer);
  absl::StatusOr<std::unique_ptr<jwt::SessionTokenIssuer>> iss = jwt::SessionTokenIssuer::Create(
      {.issuer = issuer, .audience = audience}, jwt::JwsAlgorithm::kEdDSA, kid, key.signer);
  if (!iss.ok()) return iss.status();
  key.issuer = std::move(*iss);
  return key;
}

jit::common::v1::Identity TestUser(const std::string& name, const std::string& session_id) {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name(name);
  id.add_roles("dev");
  (*id.mutable_traits())["logins"].add_values(name);
  id.set_session_id(session_id);
  id.set_auth_method("local");
  return id;
}

}  // namespace jit::auth::testing
