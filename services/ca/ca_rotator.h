// CaRotator: RotateCa (issue 11), moving one CA kind through
//   standby -> init -> update_clients -> update_servers -> standby
// with rollback from init, update_clients or update_servers:
// - init: a new key is generated and stored "next": trusted (GetCaPublicKeys lists it beside
//   the old one), not yet signing.
// - update_clients: the new key becomes "active" (signs), the old one "previous" (trusted).
// - update_servers: no key changes; the step where hosts pick up the new trust and certs.
// - standby: the old key is "retired": no longer trusted or listed.
// - rollback: the new key is retired (discarded), the old one is "active" again.
// The phase lives in the store (PostgreSQL: every replica agrees; each replica's keyring
// follows within its refresh interval, this one's at once). Unknown kinds or phases are
// INVALID_ARGUMENT; a phase out of order is FAILED_PRECONDITION naming the current phase and
// what may follow; nothing changes then. Callers need `cert_authority: rotate`
// (PERMISSION_DENIED otherwise). Every change is audited (ca.rotate) in its transaction.
// Thread-safe; borrows everything.
#ifndef JIT_SERVICES_CA_CA_ROTATOR_H_
#define JIT_SERVICES_CA_CA_ROTATOR_H_

#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "jit/ca/v1/ca.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/ca/ca_key_store.h"
#include "services/ca/ca_keyring.h"
#include "services/policy/client/permission_checker.h"

namespace jit::ca {

class CaRotator {
 public:
  CaRotator(CaKeyStore* store, CaKeyring* keyring, policy::PermissionChecker* permissions,
            const Clock* clock)
      : store_(store), keyring_(keyring), permissions_(permissions), clock_(clock) {}

  absl::StatusOr<v1::RotateCaResponse> RotateCa(const jit::common::v1::Identity& caller,
                                                const audit::AuditActor& actor,
                                                const v1::RotateCaRequest& request) const;

 private:
  CaKeyStore* const store_;
  CaKeyring* const keyring_;
  policy::PermissionChecker* const permissions_;
  const Clock* const clock_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_ROTATOR_H_
