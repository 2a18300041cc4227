#include "services/policy/role_catalog.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/policy/compiled_role.h"
#include "services/policy/role_parser.h"
#include "services/policy/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using jit::common::v1::AuditEvent;
using jit::common::v1::Role;

constexpr int kDefaultPageSize = 100;

std::string RoleTarget(absl::string_view name) { return absl::StrCat("role:", name); }
constexpr int kMaxPageSize = 1000;
constexpr absl::string_view kTokenPrefix = "after:";

// The role as written by its author: server-managed metadata removed.
Role WithoutServerFields(Role role) {
  auto* md = role.mutable_metadata();
  md->clear_revision();
  md->clear_update_time();
  md->clear_updated_by();
  return role;
}

std::string PageToken(absl::string_view last_name) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, last_name));
}

absl::StatusOr<std::string> AfterFromToken(absl::string_view token) {
  if (token.empty()) return std::string();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded) || !absl::StartsWith(decoded, kTokenPrefix)) {
    return absl::InvalidArgumentError("invalid page_token");
  }
  return decoded.substr(kTokenPrefix.size());
}

}  // namespace

absl::StatusOr<Role> RoleCatalog::UpsertRole(const pb::UpsertRoleRequest& request,
                                             const audit::AuditActor& actor) {
  Role role;
  switch (request.source_case()) {
    case pb::UpsertRoleRequest::kRole:
      role = request.role();
      break;
    case pb::UpsertRoleRequest::kRoleDocument: {
      absl::StatusOr<Role> parsed = ParseRoleDocument(request.role_document());
      if (!parsed.ok()) return parsed.status();
      role = *std::move(parsed);
      break;
    }
    default:
      return absl::InvalidArgumentError("either role or role_document is required");
  }
  role = WithoutServerFields(std::move(role));
  if (absl::Status s = ValidateRole(role); !s.ok()) return s;
  if (request.has_expected_revision() && request.expected_revision() < 0) {
    return absl::InvalidArgumentError("expected_revision must not be negative");
  }
  std::optional<int64_t> expected;
  if (request.has_expected_revision()) expected = request.expected_revision();
  const absl::Time now = clock_->Now();
  std::map<std::string, std::string> details;
  if (expected.has_value()) details["expected_revision"] = absl::StrCat(*expected);
  absl::StatusOr<AuditEvent> event = audit::NewAuditEvent(
      kPolicyService, "role.upsert", now, actor, RoleTarget(role.metadata().name()),
      AuditEvent::OUTCOME_SUCCESS, "role written", details);
  if (!event.ok()) return event.status();
  absl::StatusOr<Role> stored = store_->Upsert(role, expected, now, actor.actor, *event);
  if (!stored.ok()) return stored.status();
  if (absl::Status s = Refresh(); !s.ok()) {
    spdlog::warn("policy snapshot refresh after upsert failed: {}", s.ToString());
  }
  return stored;
}

namespace {

// The name of GetRole/DeleteRole: required, and no longer than any role name can be (a
// stored role whose name is otherwise invalid, e.g. edited by hand, stays reachable).
absl::Status CheckRoleNameArgument(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("name is required");
  if (name.size() > kMaxRoleNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("name: ", QuoteBounded(name), " is longer than ",
                                                   kMaxRoleNameBytes,
                                                   " bytes (no role has such a name)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Role> RoleCatalog::GetRole(const pb::GetRoleRequest& request) const {
  RETURN_IF_ERROR(CheckRoleNameArgument(request.name()));
  return store_->Get(request.name());
}

absl::StatusOr<pb::ListRolesResponse> RoleCatalog::ListRoles(
    const pb::ListRolesRequest& request) const {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 0 and ", kMaxPageSize));
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  absl::StatusOr<std::string> after = AfterFromToken(request.page_token());
  if (!after.ok()) return after.status();
  absl::StatusOr<std::vector<Role>> roles = store_->List(*after, page_size + 1);
  if (!roles.ok()) return roles.status();
  pb::ListRolesResponse response;
  const bool more = static_cast<int>(roles->size()) > page_size;
  if (more) roles->resize(page_size);
  for (Role& role : *roles) *response.add_roles() = std::move(role);
  if (more) response.set_next_page_token(PageToken(response.roles().rbegin()->metadata().name()));
  return response;
}

absl::StatusOr<pb::DeleteRoleResponse> RoleCatalog::DeleteRole(const pb::DeleteRoleRequest& request,
                                                               const audit::AuditActor& actor) {
  RETURN_IF_ERROR(CheckRoleNameArgument(request.name()));
  std::optional<int64_t> expected;
  if (request.has_expected_revision()) expected = request.expected_revision();
  absl::StatusOr<AuditEvent> event =
      audit::NewAuditEvent(kPolicyService, "role.delete", clock_->Now(), actor,
                           RoleTarget(request.name()), AuditEvent::OUTCOME_SUCCESS, "role deleted");
  if (!event.ok()) return event.status();
  if (absl::Status s = store_->Delete(request.name(), expected, *event); !s.ok()) return s;
  if (absl::Status s = Refresh(); !s.ok()) {
    spdlog::warn("policy snapshot refresh after delete failed: {}", s.ToString());
  }
  return pb::DeleteRoleResponse();
}

namespace {

// What a stored role that no longer compiles (edited by hand, or valid under an older
// binary) becomes in the snapshot: a role of the same name that denies everything. Leaving
// it out would drop its deny rules and widen the access of everyone holding it; a holder is
// denied instead until the role is fixed.
Role FailClosedStandIn(const Role& broken) {
  Role r;
  r.set_kind("role");
  r.set_version("v7");
  r.mutable_metadata()->set_name(broken.metadata().name());
  r.mutable_metadata()->set_revision(broken.metadata().revision());
  r.mutable_metadata()->set_description(
      "stored role does not compile; it denies everything until it is fixed");
  jit::common::v1::RoleConditions* deny = r.mutable_spec()->mutable_deny();
  deny->add_logins("*");
  for (auto* labels : {deny->mutable_node_labels(), deny->mutable_kubernetes_labels(),
                       deny->mutable_db_labels(), deny->mutable_app_labels()}) {
    (*labels)["*"].add_values("*");
  }
  deny->add_kubernetes_groups("*");
  deny->add_kubernetes_users("*");
  deny->add_db_names("*");
  deny->add_db_users("*");
  deny->mutable_request()->add_roles("*");
  deny->mutable_review_requests()->add_roles("*");
  jit::common::v1::Rule* rule = deny->add_rules();
  rule->add_resources("*");
  rule->add_verbs("*");
  return r;
}

std::string DeterministicEncoding(const Role& role) {
  std::string encoded;
  google::protobuf::io::StringOutputStream out(&encoded);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  role.SerializeToCodedStream(&coded);
  coded.Trim();
  return encoded;
}

// Byte-for-byte equality of the deterministic encodings: exact (the stored role includes
// its metadata) and far cheaper than a reflective comparison.
bool SameContent(const Role& a, const Role& b) {
  return DeterministicEncoding(a) == DeterministicEncoding(b);
}

}  // namespace

absl::Status RoleCatalog::Refresh() {
  absl::MutexLock lock(&refresh_mu_);
  std::shared_ptr<const RoleSnapshot> current = snapshots_->Get();
  absl::StatusOr<int64_t> generation = store_->Generation();
  if (!generation.ok()) return generation.status();
  if (*generation == current->generation() && current->generation() != 0) return absl::OkStatus();
  absl::StatusOr<RoleStore::Contents> contents = store_->ListAll();
  if (!contents.ok()) return contents.status();
  std::vector<std::shared_ptr<const CompiledRole>> compiled;
  compiled.reserve(contents->roles.size());
  for (const Role& role : contents->roles) {
    // Reuse a compiled role only when the stored role is the very one it was compiled from:
    // a revision alone is not unique (a role deleted and created again starts at 1 again, a
    // hand edit in psql need not bump it). A fail-closed stand-in never equals its stored
    // role, so a broken role is retried on every rebuild and a fix takes effect.
    std::shared_ptr<const CompiledRole> existing = current->FindShared(role.metadata().name());
    if (existing != nullptr &&
        existing->role().metadata().revision() == role.metadata().revision() &&
        SameContent(existing->role(), role)) {
      compiled.push_back(std::move(existing));
      continue;
    }
    absl::StatusOr<std::shared_ptr<const CompiledRole>> c = CompiledRole::Create(role);
    if (!c.ok()) {
      spdlog::error(
          "policy role {} revision {} does not compile; it denies everything "
          "until fixed: {}",
          role.metadata().name(), role.metadata().revision(), c.status().ToString());
      c = CompiledRole::Create(FailClosedStandIn(role));
      if (!c.ok()) return c.status();
    }
    compiled.push_back(*std::move(c));
  }
  absl::StatusOr<std::shared_ptr<const RoleSnapshot>> snapshot =
      RoleSnapshot::FromCompiled(std::move(compiled), contents->generation);
  if (!snapshot.ok()) return snapshot.status();
  if (contents->generation < current->generation()) {
    // Generations only grow, and rebuilds are serialised here: the store went back in time
    // (restored from a backup). Its roles are the truth, also the ones that disappeared.
    spdlog::warn(
        "role store generation went back from {} to {} (restored?); replacing the "
        "snapshot with the store's roles",
        current->generation(), contents->generation);
    snapshots_->Set(*std::move(snapshot));
    return absl::OkStatus();
  }
  snapshots_->SetIfNewer(*std::move(snapshot));
  return absl::OkStatus();
}

absl::Status RoleCatalog::ImportRoles(const std::vector<Role>& roles,
                                      const audit::AuditActor& actor) {
  std::vector<const Role*> to_create;
  std::vector<std::string> conflicts;
  for (const Role& role : roles) {
    if (absl::Status s = ValidateRole(role); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("role \"", role.metadata().name(), "\": ", s.message()));
    }
    absl::StatusOr<Role> stored = store_->Get(role.metadata().name());
    if (absl::IsNotFound(stored.status())) {
      to_create.push_back(&role);
      continue;
    }
    if (!stored.ok()) return stored.status();
    if (!google::protobuf::util::MessageDifferencer::Equals(WithoutServerFields(*stored),
                                                            WithoutServerFields(role))) {
      conflicts.push_back(absl::StrCat(role.metadata().name(), " (stored revision ",
                                       stored->metadata().revision(), ", updated by ",
                                       stored->metadata().updated_by(), ")"));
    }
  }
  if (!conflicts.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("roles differ from the stored ones and were not imported (update them through "
                     "UpsertRole or remove them from the directory): ",
                     absl::StrJoin(conflicts, "; ")));
  }
  // All or nothing, in one write: other replicas never see part of the directory.
  if (!to_create.empty()) {
    const absl::Time now = clock_->Now();
    std::vector<Role> missing;
    std::vector<AuditEvent> events;
    missing.reserve(to_create.size());
    events.reserve(to_create.size());
    for (const Role* role : to_create) {
      missing.push_back(WithoutServerFields(*role));
      absl::StatusOr<AuditEvent> event = audit::NewAuditEvent(
          kPolicyService, "role.upsert", now, actor, RoleTarget(role->metadata().name()),
          AuditEvent::OUTCOME_SUCCESS, "role imported", {{"expected_revision", "0"}});
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    if (absl::Status s = store_->CreateAll(missing, now, actor.actor, events); !s.ok()) return s;
  }
  return Refresh();
}

}  // namespace jit::policy
