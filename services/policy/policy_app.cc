#include "services/policy/policy_app.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/audit/service_outbox_relay.h"
#include "common/secret_file.h"
#include "common/server/unary_handler.h"
#include "common/status_macros.h"
#include "services/policy/http_decision_hook.h"
#include "services/policy/policy_engine.h"
#include "services/policy/policy_service_impl.h"
#include "services/policy/postgres_role_store.h"
#include "services/policy/postgres_role_watcher.h"
#include "services/policy/review_rules/on_call_sources.h"
#include "services/policy/review_rules/postgres_review_rule_store.h"
#include "services/policy/review_rules/review_rule_administration.h"
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

ABSL_FLAG(std::string, review_rules_dir, "",
          "Directory of access_review_rule files (*.yaml, *.yml, *.json) imported at start; a "
          "rule that differs from the stored one is a conflict and start-up fails");

namespace jit::policy {
namespace internal {

// Every object of the running service, in dependency order (destroyed in reverse: the
// watcher first).
struct PolicyAppParts {
  PolicyAppParts(server::ServiceRuntime& runtime, std::unique_ptr<DecisionHook> decision_hook,
                 std::unique_ptr<OnCallSource> on_call_source)
      : store(&runtime.pool),
        catalog(&store, &snapshots, &runtime.clock),
        hook(std::move(decision_hook)),
        engine(&snapshots, &runtime.clock, hook.get()),
        roles(&catalog, &engine),
        review_rule_store(&runtime.pool),
        on_call(std::move(on_call_source)),
        review_rules(&review_rule_store, &engine, &runtime.clock, on_call.get()),
        service(&engine, &roles, server::AuthorizedCaller(runtime.authorizer), &review_rules) {}

  PostgresRoleStore store;
  RoleSnapshotHolder snapshots;
  RoleCatalog catalog;
  std::unique_ptr<DecisionHook> hook;
  PolicyEngine engine;
  RoleAdministration roles;
  PostgresReviewRuleStore review_rule_store;
  std::unique_ptr<OnCallSource> on_call;  // null: on_call rules fail closed
  ReviewRuleAdministration review_rules;
  PolicyServiceImpl service;
  std::unique_ptr<PostgresRoleWatcher> watcher;
  std::unique_ptr<audit::ServiceOutboxRelay> audit_relay;  // last: stops first
};

}  // namespace internal

namespace {

absl::Status Named(absl::string_view flag, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(flag, ": ", s.message()));
}

// The decision hook the flags ask for; null when none is configured.
absl::StatusOr<std::unique_ptr<DecisionHook>> HookOf(const PolicyApp::Config& config) {
  if (config.decision_hook_url.empty()) {
    if (!config.decision_hook_token_file.empty() || !config.decision_hook_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "decision_hook_url: must be set when decision_hook_token_file or _ca_file is");
    }
    return nullptr;
  }
  if (config.decision_hook_timeout < absl::Milliseconds(1) ||
      config.decision_hook_timeout > absl::Seconds(30)) {
    return absl::InvalidArgumentError("decision_hook_timeout: must be between 1ms and 30s");
  }
  HttpDecisionHookOptions options{.url = config.decision_hook_url,
                                  .timeout = config.decision_hook_timeout,
                                  .ca_file = config.decision_hook_ca_file};
  if (!config.decision_hook_token_file.empty()) {
    // A secret like every other: mode 0600 or stricter, not empty (an empty token would send
    // the hook calls without credentials), never copied through streams.
    absl::StatusOr<SecretString> token = ReadSecretFile(config.decision_hook_token_file);
    RETURN_IF_ERROR(Named("decision_hook_token_file", token.status()));
    options.bearer_token = *std::move(token);
  }
  absl::StatusOr<std::unique_ptr<HttpDecisionHook>> hook =
      HttpDecisionHook::Create(std::move(options));
  RETURN_IF_ERROR(Named("decision_hook_url", hook.status()));
  return std::unique_ptr<DecisionHook>(*std::move(hook));
}

absl::Status ImportDirectory(RoleCatalog& catalog, const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<common::v1::Role> roles, LoadRoleDirectory(dir));
  // Replicas starting together race to create the same roles; the loser's retry finds
  // them identical.
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = catalog.ImportRoles(roles, {.actor = "gitops:roles_dir"});
    if (!absl::IsAborted(s)) break;
  }
  if (s.ok()) spdlog::info("roles_dir {}: {} roles in place", dir, roles.size());
  return s;
}

}  // namespace

PolicyApp::Config PolicyApp::ConfigFromFlags() {
  return {.roles_dir = absl::GetFlag(FLAGS_roles_dir),
          .review_rules_dir = absl::GetFlag(FLAGS_review_rules_dir),
          .on_call = OnCallConfigFromFlags(),
          .role_poll_interval = absl::GetFlag(FLAGS_role_poll_interval),
          .decision_hook_url = absl::GetFlag(FLAGS_decision_hook_url),
          .decision_hook_timeout = absl::GetFlag(FLAGS_decision_hook_timeout),
          .decision_hook_ca_file = absl::GetFlag(FLAGS_decision_hook_ca_file),
          .decision_hook_token_file = absl::GetFlag(FLAGS_decision_hook_token_file)};
}

absl::Status PolicyApp::Validate(const Config& config) {
  if (config.role_poll_interval < absl::Milliseconds(10) ||
      config.role_poll_interval > absl::Minutes(1)) {
    return absl::InvalidArgumentError("role_poll_interval: must be between 10ms and 1m");
  }
  RETURN_IF_ERROR(HookOf(config).status());
  return OnCallSourceOf(config.on_call).status();
}

absl::StatusOr<std::unique_ptr<PolicyApp>> PolicyApp::Create(server::ServiceRuntime& runtime,
                                                             const Config& config) {
  RETURN_IF_ERROR(Validate(config));
  ASSIGN_OR_RETURN(std::unique_ptr<DecisionHook> hook, HookOf(config));
  if (hook != nullptr) {
    spdlog::info("external decision hook {} (timeout {})", config.decision_hook_url,
                 absl::FormatDuration(config.decision_hook_timeout));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<OnCallSource> on_call, OnCallSourceOf(config.on_call));
  auto p = std::make_unique<internal::PolicyAppParts>(runtime, std::move(hook), std::move(on_call));
  if (absl::Status s = p->catalog.Refresh(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("loading roles: ", s.message()));
  }
  if (!config.roles_dir.empty()) {
    RETURN_IF_ERROR(Named("roles_dir", ImportDirectory(p->catalog, config.roles_dir)));
  }
  if (!config.review_rules_dir.empty()) {
    ASSIGN_OR_RETURN(std::vector<v1::AccessReviewRule> rules,
                     LoadReviewRuleDirectory(config.review_rules_dir));
    RETURN_IF_ERROR(Named("review_rules_dir", p->review_rules.ImportRules(
                                                  rules, {.actor = "gitops:review_rules_dir"})));
    spdlog::info("review_rules_dir {}: {} rules in place", config.review_rules_dir, rules.size());
  }
  RoleCatalog* catalog = &p->catalog;
  ASSIGN_OR_RETURN(p->watcher, PostgresRoleWatcher::Start(
                                   &runtime.pool, [catalog] { return catalog->Refresh(); },
                                   {.poll_interval = config.role_poll_interval}));
  ASSIGN_OR_RETURN(p->audit_relay, audit::ServiceOutboxRelay::Start(runtime, "policy"));
  return absl::WrapUnique(new PolicyApp(std::move(p)));
}

PolicyApp::PolicyApp(std::unique_ptr<internal::PolicyAppParts> parts) : parts_(std::move(parts)) {}

PolicyApp::~PolicyApp() = default;

std::vector<server::RegisteredService> PolicyApp::Services() {
  return {server::RegisteredService::Of<v1::PolicyService>(&parts_->service)};
}

}  // namespace jit::policy
