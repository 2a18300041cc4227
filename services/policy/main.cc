// jit-policy: roles and access decisions (services/policy/README.md).
//
// Wiring: PostgresRoleStore -> RoleCatalog -> RoleSnapshotHolder <- PolicyEngine (with the
// optional HTTP decision hook); PostgresRoleWatcher keeps the snapshot current across
// replicas; --roles_dir is imported at start (conflicts end start-up with one line). Every
// call has passed common/auth's gate (the project method table) before its handler; the
// role RPCs read their caller through common/server's UnaryHandler.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config/flags.h"
#include "common/secret_file.h"
#include "common/server/service_main.h"
#include "common/server/unary_handler.h"
#include "common/status_macros.h"
#include "services/policy/http_decision_hook.h"
#include "services/policy/migrations.h"
#include "services/policy/policy_engine.h"
#include "services/policy/policy_service_impl.h"
#include "services/policy/postgres_role_store.h"
#include "services/policy/postgres_role_watcher.h"
#include "services/policy/role_administration.h"
#include "services/policy/role_catalog.h"
#include "services/policy/role_directory.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, roles_dir, "",
          "Directory of role files (*.yaml, *.yml, *.json) imported at start; a role that "
          "differs from the stored one is a conflict and start-up fails");
ABSL_FLAG(absl::Duration, role_poll_interval, absl::Milliseconds(500),
          "How often replicas re-read the role generation besides LISTEN/NOTIFY (<= 1s keeps "
          "the 1 s propagation promise)");
ABSL_FLAG(std::string, decision_hook_url, "",
          "OPA-style decision endpoint: https://, or http:// to 127.0.0.1 or [::1] (a sidecar); "
          "empty = no external hook");
ABSL_FLAG(absl::Duration, decision_hook_timeout, absl::Milliseconds(500),
          "Deadline of one decision hook call (1ms..30s); a timeout denies");
ABSL_FLAG(std::string, decision_hook_ca_file, "", "PEM bundle to verify an https hook with");
ABSL_FLAG(std::string, decision_hook_token_file, "",
          "File holding the bearer token sent to the decision hook");

namespace jit::policy {
namespace {

class PolicyServiceApp final : public server::ServiceApp {
 public:
  explicit PolicyServiceApp(server::ServiceRuntime& runtime, std::unique_ptr<DecisionHook> hook)
      : store_(&runtime.pool),
        catalog_(&store_, &snapshots_, &runtime.clock),
        hook_(std::move(hook)),
        engine_(&snapshots_, &runtime.clock, hook_.get()),
        roles_(&catalog_, &engine_),
        service_(&engine_, &roles_, server::AuthorizedCaller(runtime.authorizer)) {}

  // Loads the roles (and --roles_dir), then starts following changes.
  absl::Status Start(db::PgPool& pool) {
    if (absl::Status s = catalog_.Refresh(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("loading roles: ", s.message()));
    }
    if (const std::string dir = absl::GetFlag(FLAGS_roles_dir); !dir.empty()) {
      absl::Status s = ImportDirectory(dir);
      if (!s.ok()) return absl::Status(s.code(), absl::StrCat("roles_dir: ", s.message()));
    }
    ASSIGN_OR_RETURN(watcher_, PostgresRoleWatcher::Start(
                                   &pool, [this] { return catalog_.Refresh(); },
                                   {.poll_interval = absl::GetFlag(FLAGS_role_poll_interval)}));
    return absl::OkStatus();
  }

  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::PolicyService>(&service_)};
  }

 private:
  absl::Status ImportDirectory(const std::string& dir) {
    ASSIGN_OR_RETURN(std::vector<common::v1::Role> roles, LoadRoleDirectory(dir));
    // Replicas starting together race to create the same roles; the loser's retry finds
    // them identical.
    absl::Status s;
    for (int attempt = 0; attempt < 3; ++attempt) {
      s = catalog_.ImportRoles(roles, "gitops:roles_dir");
      if (!absl::IsAborted(s)) break;
    }
    if (s.ok()) spdlog::info("roles_dir {}: {} roles in place", dir, roles.size());
    return s;
  }

  PostgresRoleStore store_;
  RoleSnapshotHolder snapshots_;
  RoleCatalog catalog_;
  std::unique_ptr<DecisionHook> hook_;
  PolicyEngine engine_;
  RoleAdministration roles_;
  PolicyServiceImpl service_;
  std::unique_ptr<PostgresRoleWatcher> watcher_;  // last: stops first
};

// The decision hook from flags; null when none is configured. Bad values exit 2.
std::unique_ptr<DecisionHook> HookFromFlags() {
  HttpDecisionHookOptions options{.url = absl::GetFlag(FLAGS_decision_hook_url),
                                  .timeout = absl::GetFlag(FLAGS_decision_hook_timeout),
                                  .ca_file = absl::GetFlag(FLAGS_decision_hook_ca_file)};
  const std::string token_file = absl::GetFlag(FLAGS_decision_hook_token_file);
  if (options.url.empty()) {
    if (!token_file.empty() || !options.ca_file.empty()) {
      config::ExitWithConfigError(absl::InvalidArgumentError(
          "decision_hook_url: must be set when decision_hook_token_file or _ca_file is"));
    }
    return nullptr;
  }
  if (!token_file.empty()) {
    // A secret like every other: mode 0600 or stricter, not empty (an empty token would send
    // the hook calls without credentials), never copied through streams.
    absl::StatusOr<SecretString> token = ReadSecretFile(token_file);
    if (!token.ok()) {
      config::ExitWithConfigError(
          absl::Status(token.status().code(),
                       absl::StrCat("decision_hook_token_file: ", token.status().message())));
    }
    options.bearer_token = *std::move(token);
  }
  absl::StatusOr<std::unique_ptr<HttpDecisionHook>> hook = HttpDecisionHook::Create(options);
  if (!hook.ok()) config::ExitWithConfigError(hook.status());
  spdlog::info("external decision hook {} (timeout {})", options.url,
               absl::FormatDuration(options.timeout));
  return *std::move(hook);
}

absl::StatusOr<std::unique_ptr<server::ServiceApp>> Build(server::ServiceRuntime& runtime) {
  const absl::Duration poll = absl::GetFlag(FLAGS_role_poll_interval);
  if (poll < absl::Milliseconds(10) || poll > absl::Minutes(1)) {
    config::ExitWithConfigError(
        absl::InvalidArgumentError("role_poll_interval: must be between 10ms and 1m"));
  }
  auto app = std::make_unique<PolicyServiceApp>(runtime, HookFromFlags());
  RETURN_IF_ERROR(app->Start(runtime.pool));
  return app;
}

}  // namespace
}  // namespace jit::policy

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(argc, argv,
                                     {.name = "policy",
                                      .ports = jit::server::kPolicyPorts,
                                      .migrations = jit::policy::Migrations(),
                                      .build = jit::policy::Build});
}
