#include "bench/policy_workload.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "services/policy/role_parser.h"

namespace jit::bench {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Role;

const char* const kTeams[] = {"payments", "search",  "storage", "web",      "mobile",
                              "data",     "ml",      "infra",   "security", "billing",
                              "identity", "growth",  "ads",     "maps",     "video",
                              "chat",     "support", "risk",    "edge",     "platform"};

// Ten roles per team, written as documents so the bench also loads them the real way.
std::string TeamRoles(const std::string& team) {
  return absl::StrFormat(R"yaml(
kind: role
version: v7
metadata: {name: %1$s-dev}
spec:
  allow:
    logins: ["{{internal.logins}}", ubuntu]
    node_labels: {team: %1$s, env: [dev, staging], region: "*"}
    request: {roles: ["%1$s-prod-*", "%1$s-db"], max_duration: 4h,
              thresholds: [{name: lead, approve: 1, filter: 'contains(reviewer.roles, "%1$s-lead")'}]}
---
kind: role
version: v7
metadata: {name: %1$s-prod-ro}
spec:
  allow:
    logins: [readonly, "{{internal.logins}}"]
    node_labels: {team: %1$s, env: prod, region: ["us-*", "eu-*"], host: '^%1$s-[a-z]+-[0-9]+$'}
  deny:
    logins: [root]
    node_labels: {pci: "true"}
  options: {max_session_ttl: 8h, require_mfa: false}
---
kind: role
version: v7
metadata: {name: %1$s-prod-admin}
spec:
  allow:
    logins: [root, ubuntu]
    node_labels: {team: %1$s, env: prod}
  options: {max_session_ttl: 1h, require_mfa: true, record_session: [ssh]}
---
kind: role
version: v7
metadata: {name: %1$s-db}
spec:
  allow:
    db_labels: {team: %1$s, engine: '^postgres(1[2-6])$', env: [staging, prod]}
    db_users: ["{{internal.db_users}}", reader]
    db_names: ["%1$s_*", "*"]
  deny:
    db_users: [postgres]
---
kind: role
version: v7
metadata: {name: %1$s-kube}
spec:
  allow:
    kubernetes_labels: {cluster: "eks-*", team: %1$s}
    kubernetes_groups: [viewers, "{{internal.kubernetes_groups}}"]
---
kind: role
version: v7
metadata: {name: %1$s-apps}
spec:
  allow:
    app_labels: {team: %1$s, env: "*"}
---
kind: role
version: v7
metadata: {name: %1$s-oncall}
spec:
  allow:
    request: {roles: ["%1$s-*"], reason: {mode: required, prompt: "Incident"}}
  options: {request_ttl: 30m}
---
kind: role
version: v7
metadata: {name: %1$s-lead}
spec:
  allow:
    review_requests: {roles: ["%1$s-*"], where: '!equals(request.reason, "")'}
---
kind: role
version: v7
metadata: {name: %1$s-audit}
spec:
  allow:
    rules: [{resources: [audit_event], verbs: [list, read]}]
---
kind: role
version: v7
metadata: {name: %1$s-contractor}
spec:
  allow:
    logins: [contractor]
    node_labels: {team: %1$s, env: staging}
  deny:
    node_labels: {env: prod, team: %1$s}
    logins: [root]
)yaml",
                         team);
}

}  // namespace

std::vector<Role> PolicyBenchRoles() {
  std::vector<Role> roles;
  for (const char* team : kTeams) {
    absl::StatusOr<std::vector<Role>> team_roles = jit::policy::ParseRoleDocuments(TeamRoles(team));
    if (!team_roles.ok()) {
      fprintf(stderr, "bench roles: %s\n", std::string(team_roles.status().message()).c_str());
      std::exit(1);
    }
    roles.insert(roles.end(), team_roles->begin(), team_roles->end());
  }
  return roles;
}

pb::CheckAccessRequest RealisticCheckAccess() {
  pb::CheckAccessRequest request;
  auto* id = request.mutable_identity();
  id->set_name("alice");
  id->mutable_expire_time()->set_seconds(4'102'444'800);  // 2100: identities carry an end
  for (const char* r : {"storage-dev", "storage-kube", "storage-apps", "storage-audit", "web-dev",
                        "web-apps", "search-contractor", "storage-prod-ro"}) {
    id->add_roles(r);
  }
  (*id->mutable_traits())["logins"].add_values("alice");
  (*id->mutable_traits())["db_users"].add_values("alice_ro");
  (*id->mutable_traits())["kubernetes_groups"].add_values("storage-devs");
  id->set_mfa_verified(true);
  auto* r = request.mutable_resource();
  r->set_kind(pb::Resource::KIND_NODE);
  r->set_name("storage-db-17");
  auto& labels = *r->mutable_labels();
  labels["team"] = "storage";
  labels["env"] = "prod";
  labels["region"] = "eu-west-1";
  labels["host"] = "storage-db-17";
  labels["pci"] = "false";
  labels["os"] = "debian-12";
  r->set_login("alice");
  return request;
}

}  // namespace jit::bench
