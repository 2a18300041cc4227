// ComputeCertParams: what a certificate for an identity and its roles may contain.
#include <algorithm>
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
using internal::ResolvedRoles;
using ::jit::policy::v1::CertParams;
using ::jit::policy::v1::ComputeCertParamsRequest;
using ::jit::policy::v1::ComputeCertParamsResponse;

// Allowed values of all roles, minus the values any role denies ("*" under deny removes
// everything). Sorted and deduplicated.
std::vector<std::string> AllowedMinusDenied(const std::vector<const CompiledRole*>& roles,
                                            CompiledValueList CompiledConditions::*field,
                                            const Traits& traits) {
  std::vector<std::string> allowed;
  for (const CompiledRole* role : roles) (role->allow().*field).Expand(traits, &allowed);
  internal::SortUnique(&allowed);
  std::vector<std::string> out;
  for (std::string& value : allowed) {
    if (!internal::DeniedByAnyRole(roles, field, value, traits)) out.push_back(std::move(value));
  }
  return out;
}

void SetAll(const std::vector<std::string>& values,
            google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const std::string& v : values) out->Add(std::string(v));
}

}  // namespace

absl::StatusOr<ComputeCertParamsResponse> ComputeCertParams(const RoleSnapshot& snapshot,
                                                            const ComputeCertParamsRequest& request,
                                                            absl::Time now) {
  const auto& identity = request.identity();
  if (identity.name().empty()) return absl::InvalidArgumentError("identity.name is required");
  if (const char* unusable = internal::IdentityUnusable(identity, now)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the identity of ", QuoteBounded(identity.name()), " ", unusable));
  }
  const auto& names = request.roles_size() > 0 ? request.roles() : identity.roles();
  ResolvedRoles resolved;
  internal::ResolveRoles(snapshot, names, &resolved);
  // Deduplicate, keeping the first occurrence.
  std::vector<const CompiledRole*> roles;
  for (const CompiledRole* role : resolved.known) {
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
  }
  if (roles.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("none of the roles of ", QuoteBounded(identity.name()), " exists (",
                     names.empty() ? "no roles" : internal::QuotedList(resolved.unknown), ")"));
  }
  const Traits& traits = identity.traits();
  ComputeCertParamsResponse response;
  CertParams* params = response.mutable_params();
  SetAll(AllowedMinusDenied(roles, &CompiledConditions::logins, traits), params->mutable_logins());
  SetAll(AllowedMinusDenied(roles, &CompiledConditions::kubernetes_groups, traits),
         params->mutable_kubernetes_groups());
  SetAll(AllowedMinusDenied(roles, &CompiledConditions::kubernetes_users, traits),
         params->mutable_kubernetes_users());
  SetAll(AllowedMinusDenied(roles, &CompiledConditions::db_names, traits),
         params->mutable_db_names());
  SetAll(AllowedMinusDenied(roles, &CompiledConditions::db_users, traits),
         params->mutable_db_users());

  const internal::MergedOptions options = internal::MergeOptions(roles);
  ToProtoDuration(options.max_session_ttl, params->mutable_max_ttl());
  params->set_mfa_required(options.require_mfa);
  SetAll(RecordProtocolNames(options.record_session), params->mutable_record_session());
  if (options.client_idle_timeout > absl::ZeroDuration()) {
    ToProtoDuration(options.client_idle_timeout, params->mutable_client_idle_timeout());
  }
  (*params->mutable_ssh_extensions())["permit-pty"] = "";
  if (options.forward_agent) (*params->mutable_ssh_extensions())["permit-agent-forwarding"] = "";
  if (options.port_forwarding) {
    (*params->mutable_ssh_extensions())["permit-port-forwarding"] = "";
  }
  params->set_pin_source_ip(options.pin_source_ip);
  std::vector<std::string> role_names;
  for (const CompiledRole* role : roles) {
    params->add_roles(role->name());
    role_names.push_back(role->name());
  }

  auto* e = response.mutable_explanation();
  for (const CompiledRole* role : roles) AddMatch(e, role->name(), "allow", "role", true, "");
  std::string summary = absl::StrCat(
      "computed from roles ", absl::StrJoin(role_names, ", "), "; max_ttl ",
      FormatRoleDuration(options.max_session_ttl),
      options.ttl_role != nullptr ? absl::StrCat(" (role \"", options.ttl_role->name(), "\")")
                                  : " (default)");
  if (options.require_mfa) {
    absl::StrAppend(&summary, "; MFA required by role \"", options.mfa_role->name(), "\"");
  }
  absl::StrAppend(&summary, internal::NoteUnknownRoles(resolved, e));
  e->set_summary(std::move(summary));
  return response;
}

}  // namespace jit::policy
