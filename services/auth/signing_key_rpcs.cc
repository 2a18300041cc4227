#include "services/auth/signing_key_rpcs.h"

#include "common/jwt/jwk.h"
#include "common/status_macros.h"

namespace jit::auth {

absl::StatusOr<jit::auth::v1::GetJwksResponse> GetJwks(SigningKeyRing& ring) {
  ASSIGN_OR_RETURN(std::vector<jwt::JsonWebKey> keys, ring.Published());
  jit::auth::v1::GetJwksResponse response;
  for (const jwt::JsonWebKey& key : keys) *response.add_keys() = jwt::JwkToProto(key);
  response.set_jwks_json(jwt::SerializeJwkSet(keys));
  return response;
}

absl::StatusOr<jit::auth::v1::RotateSigningKeyResponse> RotateSigningKey(
    const jit::common::v1::Identity& caller, policy::PermissionChecker& permissions,
    SigningKeyRing& ring, const audit::AuditActor& actor) {
  if (caller.kind() != jit::common::v1::Identity::KIND_USER) {
    return absl::PermissionDeniedError("signing keys are rotated by people");
  }
  RETURN_IF_ERROR(permissions.Check(caller, "cert_authority", "rotate"));
  ASSIGN_OR_RETURN(SigningKeyRing::Rotation rotation, ring.Rotate(actor));
  jit::auth::v1::RotateSigningKeyResponse response;
  response.set_kid(rotation.kid);
  return response;
}

}  // namespace jit::auth
