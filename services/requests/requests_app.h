// RequestsApp: the requests service's objects, wired from its configuration. The access-request
// lifecycle: requests, reviews, grants and break-glass (issue 9).
//
// A skeleton to fill in, following services/policy/policy_app.h: Config and its flags,
// Validate (exit 2 naming the flag, before anything connects), Create building the stores
// (PostgreSQL, schema "requests"), the logic and the gRPC adapter (requests_service_impl.h, each
// method through server::UnaryHandler), with the policy client (services/policy/client:
// CheckRequest, CheckReview). Until then every RPC answers UNIMPLEMENTED. See DEVELOPERS.md,
// "Writing a new service". Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_REQUESTS_REQUESTS_APP_H_
#define JIT_SERVICES_REQUESTS_REQUESTS_APP_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/service_main.h"
#include "jit/requests/v1/requests.grpc.pb.h"

namespace jit::requests {

class RequestsApp final : public server::ServiceApp {
 public:
  // The service's own settings (none yet).
  struct Config {};

  // The service's own flags (requests_app.cc).
  static Config ConfigFromFlags();
  // INVALID_ARGUMENT naming the flag of a bad value.
  static absl::Status Validate(const Config& config);
  static absl::StatusOr<std::unique_ptr<RequestsApp>> Create(server::ServiceRuntime& runtime,
                                                             const Config& config);

  std::vector<server::RegisteredService> Services() override;

 private:
  RequestsApp() = default;

  v1::RequestsService::Service service_;  // every method UNIMPLEMENTED
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUESTS_APP_H_
