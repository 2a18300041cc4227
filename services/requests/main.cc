// jit-requests: The access-request lifecycle: requests, reviews, grants.
//
// The RPCs of jit.requests.v1.RequestsService answer UNIMPLEMENTED until their issue implements them.
#include <memory>
#include <vector>

#include "common/server/service_main.h"
#include "jit/requests/v1/requests.grpc.pb.h"

namespace jit::requests {
namespace {

class RequestsServiceApp final : public server::ServiceApp {
 public:
  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::RequestsService>(&service_)};
  }

 private:
  v1::RequestsService::Service service_;
};

}  // namespace
}  // namespace jit::requests

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = "requests",
       .ports = jit::server::kRequestsPorts,
       .migrations = {},
       .build = [](jit::server::ServiceRuntime&)
           -> absl::StatusOr<std::unique_ptr<jit::server::ServiceApp>> {
         return std::make_unique<jit::requests::RequestsServiceApp>();
       }});
}
