// CheckAccess: may an identity reach a node, database, Kubernetes cluster or app?
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/quote.h"
#include "services/policy/decision_util.h"
#include "services/policy/decisions.h"
#include "services/policy/duration.h"

namespace jit::policy {
namespace {

using internal::AddMatch;
using internal::NoteUnknownRoles;
using internal::ResolvedRoles;
using ::jit::policy::v1::CheckAccessRequest;
using ::jit::policy::v1::CheckAccessResponse;
using ::jit::policy::v1::Explanation;
using ::jit::policy::v1::Resource;

// Where a kind of resource reads its matchers.
struct KindSpec {
  const char* kind_name;
  const char* labels_field;
  CompiledLabelSelector CompiledConditions::*labels;
};

const KindSpec& SpecFor(Resource::Kind kind) {
  static const KindSpec kNode{"node", "node_labels", &CompiledConditions::node_labels};
  static const KindSpec kDb{"db", "db_labels", &CompiledConditions::db_labels};
  static const KindSpec kKube{"kube", "kubernetes_labels", &CompiledConditions::kubernetes_labels};
  static const KindSpec kApp{"app", "app_labels", &CompiledConditions::app_labels};
  switch (kind) {
    case Resource::KIND_NODE:
      return kNode;
    case Resource::KIND_DB:
      return kDb;
    case Resource::KIND_KUBE:
      return kKube;
    default:
      return kApp;
  }
}

absl::Status ValidateResource(const Resource& r) {
  switch (r.kind()) {
    case Resource::KIND_NODE:
      if (r.login().empty())
        return absl::InvalidArgumentError("resource.login is required for a node");
      return absl::OkStatus();
    case Resource::KIND_DB:
      if (r.db_user().empty())
        return absl::InvalidArgumentError("resource.db_user is required for a database");
      return absl::OkStatus();
    case Resource::KIND_KUBE:
    case Resource::KIND_APP:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("resource.kind must be node, db, kube or app");
  }
}

// Appends "node \"web-1\" as login \"root\"" (kind, name, principal) to `out`; each
// value the caller sent is quoted bounded (common/text/quote.h).
void AppendResource(const Resource& r, std::string* out) {
  const KindSpec& spec = SpecFor(r.kind());
  out->append(spec.kind_name);
  if (!r.name().empty()) {
    out->append(" ");
    AppendQuoteBounded(out, r.name());
  }
  switch (r.kind()) {
    case Resource::KIND_NODE:
      out->append(" as login ");
      AppendQuoteBounded(out, r.login());
      break;
    case Resource::KIND_DB:
      out->append(" as db_user ");
      AppendQuoteBounded(out, r.db_user());
      if (!r.db_name().empty()) {
        out->append(" on db_name ");
        AppendQuoteBounded(out, r.db_name());
      }
      break;
    case Resource::KIND_KUBE:
      if (!r.kube_group().empty()) {
        out->append(" as group ");
        AppendQuoteBounded(out, r.kube_group());
      }
      if (!r.kube_user().empty()) {
        out->append(" as user ");
        AppendQuoteBounded(out, r.kube_user());
      }
      break;
    default:
      break;
  }
}

std::string DescribeResource(const Resource& r) {
  std::string out;
  AppendResource(r, &out);
  return out;
}

// A deny matcher that matched: which field, and a short detail.
struct DenyHit {
  const char* field = nullptr;
  std::string detail;
};

// Deny side: ANY matcher matching denies.
DenyHit MatchDeny(const CompiledConditions& deny, const KindSpec& spec, const Resource& r,
                  const LabelView& view, const Traits& traits) {
  const CompiledLabelSelector& labels = deny.*spec.labels;
  if (!labels.empty() && labels.Matches(view, traits)) {
    return {spec.labels_field, labels.Explain(view, traits)};
  }
  switch (r.kind()) {
    case Resource::KIND_NODE:
      if (deny.logins.Contains(r.login(), traits)) {
        return {"logins", absl::StrCat("login ", QuoteBounded(r.login()), " is denied")};
      }
      break;
    case Resource::KIND_DB:
      if (deny.db_users.Contains(r.db_user(), traits)) {
        return {"db_users", absl::StrCat("db_user ", QuoteBounded(r.db_user()), " is denied")};
      }
      if (!r.db_name().empty() && deny.db_names.Contains(r.db_name(), traits)) {
        return {"db_names", absl::StrCat("db_name ", QuoteBounded(r.db_name()), " is denied")};
      }
      break;
    case Resource::KIND_KUBE:
      if (!r.kube_group().empty() && deny.kubernetes_groups.Contains(r.kube_group(), traits)) {
        return {"kubernetes_groups",
                absl::StrCat("group ", QuoteBounded(r.kube_group()), " is denied")};
      }
      if (!r.kube_user().empty() && deny.kubernetes_users.Contains(r.kube_user(), traits)) {
        return {"kubernetes_users",
                absl::StrCat("user ", QuoteBounded(r.kube_user()), " is denied")};
      }
      break;
    default:
      break;
  }
  return {};
}

using HeldRoles = absl::InlinedVector<const CompiledRole*, 16>;

// True if `allowed` yields a value that no held role's deny side (`field`) takes away.
bool GrantsUndeniedValue(const CompiledValueList& allowed,
                         CompiledValueList CompiledConditions::*field, const HeldRoles& held,
                         const Traits& traits) {
  if (!allowed.HasValues(traits)) return false;
  std::vector<std::string> values;
  allowed.Expand(traits, &values);
  for (const std::string& value : values) {
    if (!internal::DeniedByAnyRole(held, field, value, traits)) return true;
  }
  return false;
}

// Allow side: the first matcher that fails, or nullptr if all match. `held` are all the
// roles of the identity, for a Kubernetes request naming no principal: it is allowed only
// if the role grants a group or user that no held role denies (the certificate would carry
// nothing otherwise, as ComputeCertParams computes it).
const char* FirstAllowMismatch(const CompiledConditions& allow, const KindSpec& spec,
                               const Resource& r, const LabelView& view, const Traits& traits,
                               const HeldRoles& held) {
  if (!(allow.*spec.labels).Matches(view, traits)) return spec.labels_field;
  switch (r.kind()) {
    case Resource::KIND_NODE:
      if (!allow.logins.Contains(r.login(), traits)) return "logins";
      break;
    case Resource::KIND_DB:
      if (!allow.db_users.Contains(r.db_user(), traits)) return "db_users";
      if (!r.db_name().empty() && !allow.db_names.Contains(r.db_name(), traits)) {
        return "db_names";
      }
      break;
    case Resource::KIND_KUBE:
      if (!r.kube_group().empty() && !allow.kubernetes_groups.Contains(r.kube_group(), traits)) {
        return "kubernetes_groups";
      }
      if (!r.kube_user().empty() && !allow.kubernetes_users.Contains(r.kube_user(), traits)) {
        return "kubernetes_users";
      }
      if (r.kube_group().empty() && r.kube_user().empty() &&
          !GrantsUndeniedValue(allow.kubernetes_groups, &CompiledConditions::kubernetes_groups,
                               held, traits) &&
          !GrantsUndeniedValue(allow.kubernetes_users, &CompiledConditions::kubernetes_users, held,
                               traits)) {
        return "kubernetes_groups";
      }
      break;
    default:
      break;
  }
  return nullptr;
}

// Detail of the principal matcher for explanations.
std::string PrincipalDetail(absl::string_view field, const Resource& r, bool matched) {
  const char* verb = matched ? "allows" : "does not allow";
  if (field == "logins") return absl::StrCat("allow.logins ", verb, " ", QuoteBounded(r.login()));
  if (field == "db_users")
    return absl::StrCat("allow.db_users ", verb, " ", QuoteBounded(r.db_user()));
  if (field == "db_names")
    return absl::StrCat("allow.db_names ", verb, " ", QuoteBounded(r.db_name()));
  if (field == "kubernetes_users") {
    return absl::StrCat("allow.kubernetes_users ", verb, " ", QuoteBounded(r.kube_user()));
  }
  if (field == "kubernetes_groups") {
    if (r.kube_group().empty() && r.kube_user().empty()) {
      return matched ? "grants Kubernetes groups/users"
                     : "grants no Kubernetes group or user that the identity's roles do not deny";
    }
    return absl::StrCat("allow.kubernetes_groups ", verb, " ", QuoteBounded(r.kube_group()));
  }
  return "";
}

// Appends the principal an allow granted ("; login \"alice\"") to `out`.
void AppendPrincipal(const Resource& r, std::string* out) {
  switch (r.kind()) {
    case Resource::KIND_NODE:
      out->append("; login ");
      AppendQuoteBounded(out, r.login());
      break;
    case Resource::KIND_DB:
      out->append("; db_user ");
      AppendQuoteBounded(out, r.db_user());
      if (!r.db_name().empty()) {
        out->append(", db_name ");
        AppendQuoteBounded(out, r.db_name());
      }
      break;
    case Resource::KIND_KUBE:
      if (!r.kube_group().empty()) {
        out->append("; group ");
        AppendQuoteBounded(out, r.kube_group());
      }
      if (!r.kube_user().empty()) {
        out->append("; user ");
        AppendQuoteBounded(out, r.kube_user());
      }
      break;
    default:
      break;
  }
}

// How many roles a "nobody allows" explanation details.
constexpr size_t kMaxExplainedRoles = 16;

}  // namespace

absl::StatusOr<CheckAccessResponse> CheckAccess(const RoleSnapshot& snapshot,
                                                const CheckAccessRequest& request, absl::Time now) {
  CheckAccessResponse response;
  if (absl::Status s = CheckAccess(snapshot, request, now, &response); !s.ok()) return s;
  return response;
}

absl::Status CheckAccess(const RoleSnapshot& snapshot, const CheckAccessRequest& request,
                         absl::Time now, CheckAccessResponse* out) {
  const Resource& r = request.resource();
  if (absl::Status s = ValidateResource(r); !s.ok()) return s;
  const auto& identity = request.identity();
  out->Clear();
  CheckAccessResponse& response = *out;
  Explanation* e = response.mutable_explanation();
  if (const char* unusable = internal::IdentityUnusable(identity, now)) {
    e->set_summary(
        absl::StrCat("denied: the identity of ", QuoteBounded(identity.name()), " ", unusable));
    return absl::OkStatus();
  }
  ResolvedRoles roles;
  internal::ResolveRoles(snapshot, identity.roles(), &roles);
  const Traits& traits = identity.traits();
  const KindSpec& spec = SpecFor(r.kind());
  const LabelView view(r.labels());

  bool require_mfa = false;
  const CompiledRole* mfa_role = nullptr;
  for (const CompiledRole* role : roles.known) {
    if (role->options().require_mfa && mfa_role == nullptr) {
      require_mfa = true;
      mfa_role = role;
    }
    DenyHit hit = MatchDeny(role->deny(), spec, r, view, traits);
    if (hit.field != nullptr) {
      AddMatch(e, role->name(), "deny", hit.field, true, hit.detail);
      e->set_summary(absl::StrCat("denied by role \"", role->name(), "\" (deny.", hit.field, ": ",
                                  hit.detail, ") for ", DescribeResource(r),
                                  NoteUnknownRoles(roles, e)));
      return absl::OkStatus();
    }
  }

  const CompiledRole* allowed_by = nullptr;
  for (const CompiledRole* role : roles.known) {
    if (FirstAllowMismatch(role->allow(), spec, r, view, traits, roles.known) == nullptr) {
      allowed_by = role;
      break;
    }
  }
  if (allowed_by == nullptr) {
    std::string why;
    size_t explained = 0;
    for (const CompiledRole* role : roles.known) {
      if (explained++ == kMaxExplainedRoles) {
        absl::StrAppend(&why, "; ", roles.known.size() - kMaxExplainedRoles, " more roles");
        break;
      }
      const char* field = FirstAllowMismatch(role->allow(), spec, r, view, traits, roles.known);
      const std::string detail = field == spec.labels_field
                                     ? (role->allow().*spec.labels).Explain(view, traits)
                                     : PrincipalDetail(field, r, false);
      AddMatch(e, role->name(), "allow", field, false, detail);
      absl::StrAppend(&why, why.empty() ? "" : "; ", "role \"", role->name(), "\": ", field, " ",
                      detail);
    }
    e->set_summary(absl::StrCat(
        "denied: no role allows ", DescribeResource(r),
        why.empty() ? " (the identity holds no known role)" : absl::StrCat(" (", why, ")"),
        NoteUnknownRoles(roles, e)));
    response.set_mfa_required(require_mfa && !identity.mfa_verified());
    return absl::OkStatus();
  }

  // One record for the deciding role: its labels matched and it grants the principal.
  const std::string& label_detail = (allowed_by->allow().*spec.labels).matched_description();
  {
    jit::policy::v1::RuleMatch* m = e->add_matches();
    m->set_role(allowed_by->name());
    m->set_side("allow");
    m->set_field(spec.labels_field);
    m->set_matched(true);
    std::string* detail = m->mutable_detail();
    detail->reserve(label_detail.size() + 48);
    detail->append(label_detail);
    AppendPrincipal(r, detail);
  }
  if (require_mfa && !identity.mfa_verified()) {
    response.set_mfa_required(true);
    AddMatch(e, mfa_role->name(), "allow", "options.require_mfa", true,
             "session not verified with MFA");
    e->set_summary(absl::StrCat("denied: role \"", mfa_role->name(),
                                "\" requires MFA and the session was not verified with it (",
                                DescribeResource(r), " is otherwise allowed by role \"",
                                allowed_by->name(), "\")", NoteUnknownRoles(roles, e)));
    return absl::OkStatus();
  }
  response.set_allowed(true);
  std::string* summary = e->mutable_summary();
  summary->reserve(160);
  absl::StrAppend(summary, "allowed by role \"", allowed_by->name(), "\" (", spec.labels_field, " ",
                  label_detail, ") for ");
  AppendResource(r, summary);
  if (!roles.unknown.empty()) absl::StrAppend(summary, NoteUnknownRoles(roles, e));
  return absl::OkStatus();
}

}  // namespace jit::policy
