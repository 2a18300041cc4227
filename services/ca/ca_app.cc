#include "services/ca/ca_app.h"

#include "absl/memory/memory.h"

namespace jit::ca {

CaApp::Config CaApp::ConfigFromFlags() { return {}; }

absl::Status CaApp::Validate(const Config&) { return absl::OkStatus(); }

absl::StatusOr<std::unique_ptr<CaApp>> CaApp::Create(server::ServiceRuntime&,
                                                     const Config& config) {
  if (absl::Status s = Validate(config); !s.ok()) return s;
  return absl::WrapUnique(new CaApp());
}

std::vector<server::RegisteredService> CaApp::Services() {
  return {server::RegisteredService::Of<v1::CaService>(&service_)};
}

}  // namespace jit::ca
