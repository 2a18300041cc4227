// jit-auth: Who you are: local users with MFA, OIDC single sign-on, session tokens, service identity.
//
// The RPCs of jit.auth.v1.AuthService answer UNIMPLEMENTED until their issue implements them.
#include <memory>
#include <vector>

#include "common/server/service_main.h"
#include "jit/auth/v1/auth.grpc.pb.h"

namespace jit::auth {
namespace {

class AuthServiceApp final : public server::ServiceApp {
 public:
  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::AuthService>(&service_)};
  }

 private:
  v1::AuthService::Service service_;
};

}  // namespace
}  // namespace jit::auth

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "auth",
       .ports = jit::server::kAuthPorts,
       .migrations = {},
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<jit::auth::AuthServiceApp>();
       }});
}
