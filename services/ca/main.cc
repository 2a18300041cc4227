// jit-ca: The certificate authority: short-lived OpenSSH and X.509 certificates, CA keys, rotation, revocation lists.
//
// The RPCs of jit.ca.v1.CaService answer UNIMPLEMENTED until their issue implements them.
#include <memory>
#include <vector>

#include "common/server/service_main.h"
#include "jit/ca/v1/ca.grpc.pb.h"

namespace jit::ca {
namespace {

class CaServiceApp final : public server::ServiceApp {
 public:
  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::CaService>(&service_)};
  }

 private:
  v1::CaService::Service service_;
};

}  // namespace
}  // namespace jit::ca

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "ca",
       .ports = jit::server::kCaPorts,
       .migrations = {},
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<jit::ca::CaServiceApp>();
       }});
}
