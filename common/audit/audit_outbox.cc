#include "common/audit/audit_outbox.h"

#include <string>

#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::audit {

void AppendOrLog(AuditOutbox& outbox, const absl::StatusOr<jit::common::v1::AuditEvent>& event) {
  const absl::Status s = event.ok() ? outbox.Append(*event) : event.status();
  if (!s.ok()) {
    spdlog::error("audit event lost type={} error={}", event.ok() ? event->type() : "?",
                  LogSafe(s.ToString(), 256));
  }
}

}  // namespace jit::audit
