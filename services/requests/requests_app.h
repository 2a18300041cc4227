// RequestsApp: the requests service's objects, wired from its configuration:
//
//   PostgresRequestStore, GrpcPolicyClient (peer "policy" at --policy_addr) and
//   PolicyPermissionChecker -> RequestLifecycle (request_lifecycle.h) <- RequestsServiceImpl,
//   the gRPC adapter; ExpirySweeper runs in every replica; RequestsMetrics observes the
//   lifecycle and the sweeper's samples; the kit's ServiceOutboxRelay ships
//   requests.audit_outbox to the audit service (--audit_addr).
//
// RunServiceApp (common/server/service_main.h) drives it: ConfigFromFlags and Validate right
// after flag parsing, before any connection (a bad value exits 2 naming the flag), then
// Create, which builds everything and starts the sweeper. Policy being down at start is no
// error: calls that need it answer UNAVAILABLE until it is back.
// Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_REQUESTS_REQUESTS_APP_H_
#define JIT_SERVICES_REQUESTS_REQUESTS_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/service_main.h"

namespace jit::requests {
namespace internal {
struct RequestsAppParts;  // every object of the service (requests_app.cc)
}  // namespace internal

class RequestsApp final : public server::ServiceApp {
 public:
  struct Config {
    absl::Duration max_start_delay = absl::Hours(24 * 30);
    absl::Duration start_skew = absl::Minutes(1);
    absl::Duration break_glass_review_window = absl::Hours(24);
    int expiry_batch = 100;
    absl::Duration expiry_max_idle = absl::Seconds(30);
    // Approver notifications (notify/notify_config.h); "" = off.
    std::string notify_config;
  };

  // The service's own flags (requests_app.cc).
  static Config ConfigFromFlags();
  // INVALID_ARGUMENT naming the flag: max_start_delay outside 1m..366d, start_skew outside
  // 0..1h, break_glass_review_window outside 1m..30d, expiry_batch outside 1..10000,
  // expiry_max_idle outside 100ms..1h, a notify_config that does not load.
  static absl::Status Validate(const Config& config);
  static absl::StatusOr<std::unique_ptr<RequestsApp>> Create(server::ServiceRuntime& runtime,
                                                             const Config& config);

  ~RequestsApp() override;
  std::vector<server::RegisteredService> Services() override;

 private:
  explicit RequestsApp(std::unique_ptr<internal::RequestsAppParts> parts);

  std::unique_ptr<internal::RequestsAppParts> parts_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUESTS_APP_H_
