#include "services/requests/requests_app.h"

#include "absl/memory/memory.h"

namespace jit::requests {

RequestsApp::Config RequestsApp::ConfigFromFlags() { return {}; }

absl::Status RequestsApp::Validate(const Config&) { return absl::OkStatus(); }

absl::StatusOr<std::unique_ptr<RequestsApp>> RequestsApp::Create(server::ServiceRuntime&,
                                                                 const Config& config) {
  if (absl::Status s = Validate(config); !s.ok()) return s;
  return absl::WrapUnique(new RequestsApp());
}

std::vector<server::RegisteredService> RequestsApp::Services() {
  return {server::RegisteredService::Of<v1::RequestsService>(&service_)};
}

}  // namespace jit::requests
