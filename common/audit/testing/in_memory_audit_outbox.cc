#include "common/audit/testing/in_memory_audit_outbox.h"

namespace jit::audit::testing {

using jit::common::v1::AuditEvent;

absl::Status InMemoryAuditOutbox::Append(const AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  for (const AuditEvent& e : events_) {
    if (!event.id().empty() && e.id() == event.id()) {
      return absl::AlreadyExistsError("duplicate audit event id");
    }
  }
  events_.push_back(event);
  return absl::OkStatus();
}

std::vector<AuditEvent> InMemoryAuditOutbox::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<AuditEvent> InMemoryAuditOutbox::OfType(const std::string& type) const {
  absl::MutexLock lock(&mu_);
  std::vector<AuditEvent> out;
  for (const AuditEvent& e : events_) {
    if (e.type() == type) out.push_back(e);
  }
  return out;
}

}  // namespace jit::audit::testing
