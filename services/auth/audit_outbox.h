// Audit events of the auth service and where they wait for delivery.
//
// Every change (user created, password set, session started or ended, key rotated, ...) is
// recorded as a jit.common.v1.AuditEvent in the auth schema's audit_outbox table in the same
// transaction as the change itself: the stores' mutating methods take the event. Events with
// no change to go with (a failed login, a lockout) are appended on their own through
// AuditOutbox. The audit service's issue delivers the outbox (ingest is idempotent by id);
// until then the events stay in the table.
#ifndef JIT_SERVICES_AUTH_AUDIT_OUTBOX_H_
#define JIT_SERVICES_AUTH_AUDIT_OUTBOX_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::auth {

using jit::common::v1::AuditEvent;

// Thread-safe.
class AuditOutbox {
 public:
  virtual ~AuditOutbox() = default;
  // Stores one event. UNAVAILABLE when the store is down.
  virtual absl::Status Append(const AuditEvent& event) = 0;
};

// Appends `event` (or its creation error) to `outbox`; a loss is logged loudly and not
// returned: the answer to the caller stays what it was.
void AppendOrLog(AuditOutbox& outbox, const absl::StatusOr<AuditEvent>& event);

// Who did it and from where, for the events of one call.
struct AuditActor {
  std::string actor;        // "user:alice", "service:ca", "system", "anonymous"
  std::string session_id;   // the caller's session, if any
  std::string remote_addr;  // the caller's address, if known
};

// A new event with a random UUID, service "auth", and the given fields. `details` values are
// strings (never secrets). INTERNAL only if randomness fails.
absl::StatusOr<AuditEvent> NewAuditEvent(std::string_view type, absl::Time time,
                                         const AuditActor& actor, std::string_view target,
                                         AuditEvent::Outcome outcome, std::string_view message,
                                         const std::map<std::string, std::string>& details = {});

// A random (version 4) UUID in its canonical text form.
absl::StatusOr<std::string> NewUuid();

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_AUDIT_OUTBOX_H_
