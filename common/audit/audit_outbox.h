// Where a service's audit events wait for delivery to the audit service.
//
// Every state change writes its event into its own schema's audit_outbox table in the same
// transaction as the change (InsertOutboxEvent, postgres_audit_outbox.h): a change and its
// event commit together or not at all. Events that go with no change (a failed login, a
// lockout) are appended on their own through an AuditOutbox. Delivering the rows to the
// audit sink (ingest is idempotent by event id) is the outbox relay's job.
#ifndef JIT_COMMON_AUDIT_AUDIT_OUTBOX_H_
#define JIT_COMMON_AUDIT_AUDIT_OUTBOX_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit {

// Thread-safe.
class AuditOutbox {
 public:
  virtual ~AuditOutbox() = default;
  // Stores one event in its own transaction. UNAVAILABLE when the store is down,
  // ALREADY_EXISTS for an id stored before.
  virtual absl::Status Append(const jit::common::v1::AuditEvent& event) = 0;
};

// Appends `event` (or its creation error) to `outbox`; a loss is logged loudly (type and
// error, never the event's details) and not returned: the answer to the caller stays what
// it was.
void AppendOrLog(AuditOutbox& outbox, const absl::StatusOr<jit::common::v1::AuditEvent>& event);

}  // namespace jit::audit

#endif  // JIT_COMMON_AUDIT_AUDIT_OUTBOX_H_
