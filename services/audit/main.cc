// jit-audit: The audit sink: ingest, hash chain, search, SIEM export.
//
// The RPCs of jit.audit.v1.AuditService answer UNIMPLEMENTED until their issue implements them.
#include <memory>
#include <vector>

#include "common/server/service_main.h"
#include "jit/audit/v1/audit.grpc.pb.h"

namespace jit::audit {
namespace {

class AuditServiceApp final : public server::ServiceApp {
 public:
  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::AuditService>(&service_)};
  }

 private:
  v1::AuditService::Service service_;
};

}  // namespace
}  // namespace jit::audit

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "audit",
       .ports = jit::server::kAuditPorts,
       .migrations = {},
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<jit::audit::AuditServiceApp>();
       }});
}
