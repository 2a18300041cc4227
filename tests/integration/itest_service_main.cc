// jit-itest: a service binary for start-up tests. It runs the shared start-up sequence of
// all jit-access services (common/server/service_main) with its own test migrations and the
// policy API left unimplemented.
#include <memory>

#include "common/server/service_main.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "tests/integration/itest_migrations.h"

namespace {

class ItestApp final : public jit::server::ServiceApp {
 public:
  std::vector<jit::server::RegisteredService> Services() override {
    return {jit::server::RegisteredService::Of<jit::policy::v1::PolicyService>(&service_)};
  }

 private:
  jit::policy::v1::PolicyService::Service service_;
};

}  // namespace

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "itest",
       .ports = {17999, 19999},
       .migrations = jit::itest::Migrations(),
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<ItestApp>();
       }});
}
