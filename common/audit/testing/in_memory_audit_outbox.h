// An AuditOutbox in memory, for unit tests of logic that writes audit events: it keeps every
// event in order and refuses a repeated id (ALREADY_EXISTS), as the PostgreSQL outbox does.
// In-memory stores of a service append the event of each change here. Thread-safe.
#ifndef JIT_COMMON_AUDIT_TESTING_IN_MEMORY_AUDIT_OUTBOX_H_
#define JIT_COMMON_AUDIT_TESTING_IN_MEMORY_AUDIT_OUTBOX_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_outbox.h"

namespace jit::audit::testing {

class InMemoryAuditOutbox final : public AuditOutbox {
 public:
  absl::Status Append(const jit::common::v1::AuditEvent& event) override;
  std::vector<jit::common::v1::AuditEvent> events() const;
  // Events of `type`.
  std::vector<jit::common::v1::AuditEvent> OfType(const std::string& type) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::audit::testing

#endif  // JIT_COMMON_AUDIT_TESTING_IN_MEMORY_AUDIT_OUTBOX_H_
