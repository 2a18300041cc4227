// jit-policy: Roles and access decisions.
//
// The RPCs of jit.policy.v1.PolicyService answer UNIMPLEMENTED until their issue implements them.
#include <memory>
#include <vector>

#include "common/server/service_main.h"
#include "jit/policy/v1/policy.grpc.pb.h"

namespace jit::policy {
namespace {

class PolicyServiceApp final : public server::ServiceApp {
 public:
  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::PolicyService>(&service_)};
  }

 private:
  v1::PolicyService::Service service_;
};

}  // namespace
}  // namespace jit::policy

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "policy",
       .ports = jit::server::kPolicyPorts,
       .migrations = {},
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<jit::policy::PolicyServiceApp>();
       }});
}
