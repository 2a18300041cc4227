// GetJwks and RotateSigningKey over the signing key ring.
//
// RotateSigningKey is an administrative verb decided by policy on resource "cert_authority",
// verb "rotate" (the session token signing key is the authority that vouches for every
// session, as the CA's keys do for certificates).
#ifndef JIT_SERVICES_AUTH_SIGNING_KEY_RPCS_H_
#define JIT_SERVICES_AUTH_SIGNING_KEY_RPCS_H_

#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "jit/auth/v1/auth.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/auth/signing_key_ring.h"
#include "services/policy/client/permission_checker.h"

namespace jit::auth {

// The published keys, as messages and as RFC 7517 JSON.
absl::StatusOr<jit::auth::v1::GetJwksResponse> GetJwks(SigningKeyRing& ring);

// PERMISSION_DENIED unless policy allows; the new kid signs after the publish delay.
absl::StatusOr<jit::auth::v1::RotateSigningKeyResponse> RotateSigningKey(
    const jit::common::v1::Identity& caller, policy::PermissionChecker& permissions,
    SigningKeyRing& ring, const audit::AuditActor& actor);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SIGNING_KEY_RPCS_H_
