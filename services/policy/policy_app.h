// PolicyApp: the policy service's objects, wired from its configuration:
//
//   PostgresRoleStore -> RoleCatalog -> RoleSnapshotHolder <- PolicyEngine (with the
//   optional HTTP decision hook) <- RoleAdministration; PolicyServiceImpl, the gRPC adapter
//   (policy_service_impl.cc: every RPC and the logic it runs); PostgresRoleWatcher keeps the
//   snapshot current across replicas.
//
// RunServiceApp (common/server/service_main.h) drives it: ConfigFromFlags and Validate right
// after flag parsing, before any connection (a bad value exits 2 naming the flag), then
// Create, which loads the roles, imports --roles_dir (a conflict ends start-up with one
// line naming the roles) and starts the watcher.
// Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_POLICY_POLICY_APP_H_
#define JIT_SERVICES_POLICY_POLICY_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/service_main.h"
#include "services/policy/review_rules/on_call_sources.h"

namespace jit::policy {
namespace internal {
struct PolicyAppParts;  // every object of the service (policy_app.cc)
}  // namespace internal

class PolicyApp final : public server::ServiceApp {
 public:
  struct Config {
    std::string roles_dir;         // "" = no import
    std::string review_rules_dir;  // "" = no import
    OnCallConfig on_call;
    absl::Duration role_poll_interval = absl::Milliseconds(500);
    std::string decision_hook_url;  // "" = no external hook
    absl::Duration decision_hook_timeout = absl::Milliseconds(500);
    std::string decision_hook_ca_file;
    std::string decision_hook_token_file;
  };

  // The service's own flags (policy_app.cc).
  static Config ConfigFromFlags();

  // INVALID_ARGUMENT naming the flag: a poll interval outside 10ms..1m, a hook URL that is
  // not allowed (http_decision_hook.h), a hook timeout outside 1ms..30s, a hook CA or token
  // file without a hook URL; the token file must be a secret file (0600, not empty).
  static absl::Status Validate(const Config& config);

  // Builds the service, loads the roles and imports --roles_dir.
  static absl::StatusOr<std::unique_ptr<PolicyApp>> Create(server::ServiceRuntime& runtime,
                                                           const Config& config);

  ~PolicyApp() override;
  std::vector<server::RegisteredService> Services() override;

 private:
  explicit PolicyApp(std::unique_ptr<internal::PolicyAppParts> parts);

  std::unique_ptr<internal::PolicyAppParts> parts_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POLICY_APP_H_
