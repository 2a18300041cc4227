#include "services/audit/audit_app.h"

#include "absl/memory/memory.h"

namespace jit::audit {

AuditApp::Config AuditApp::ConfigFromFlags() { return {}; }

absl::Status AuditApp::Validate(const Config&) { return absl::OkStatus(); }

absl::StatusOr<std::unique_ptr<AuditApp>> AuditApp::Create(server::ServiceRuntime&,
                                                           const Config& config) {
  if (absl::Status s = Validate(config); !s.ok()) return s;
  return absl::WrapUnique(new AuditApp());
}

std::vector<server::RegisteredService> AuditApp::Services() {
  return {server::RegisteredService::Of<v1::AuditService>(&service_)};
}

}  // namespace jit::audit
