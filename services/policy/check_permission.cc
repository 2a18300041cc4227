// CheckPermission: the roles' administrative `rules` (verbs on jit-access resources).
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/text/quote.h"
#include "services/policy/decision_util.h"
#include "services/policy/decisions.h"

namespace jit::policy {
namespace {

using internal::AddMatch;
using internal::ResolvedRoles;
using ::jit::policy::v1::CheckPermissionRequest;
using ::jit::policy::v1::CheckPermissionResponse;

// The first rule of `rules` covering the bits whose `where` holds, or nullptr.
const CompiledRule* FindRule(const std::vector<CompiledRule>& rules, uint32_t resource,
                             uint32_t verb, const PredicateInput& input) {
  for (const CompiledRule& rule : rules) {
    if ((rule.resources & resource) == 0 || (rule.verbs & verb) == 0) continue;
    if (rule.where.has_value() && !rule.where->Evaluate(input)) continue;
    return &rule;
  }
  return nullptr;
}

std::string RuleDetail(const CompiledRule& rule, absl::string_view side) {
  return absl::StrCat(
      "spec.", side, ".rules[", rule.index, "]",
      rule.where.has_value() ? absl::StrCat(" where \"", rule.where->source(), "\"") : "");
}

}  // namespace

absl::StatusOr<CheckPermissionResponse> CheckPermission(const RoleSnapshot& snapshot,
                                                        const CheckPermissionRequest& request,
                                                        absl::Time now) {
  const uint32_t resource = request.resource() == "*" ? 0 : AdminResourceBit(request.resource());
  if (resource == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown resource ", QuoteBounded(request.resource()),
                     " (role, user, access_request, grant, cert_authority, audit_event, "
                     "access_review_rule)"));
  }
  const uint32_t verb = request.verb() == "*" ? 0 : AdminVerbBit(request.verb());
  if (verb == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown verb ", QuoteBounded(request.verb()),
                     " (list, read, create, update, delete, review, revoke, rotate, export)"));
  }
  const auto& identity = request.identity();
  CheckPermissionResponse response;
  auto* e = response.mutable_explanation();
  const std::string action =
      absl::StrCat(QuoteBounded(request.verb()), " on ", QuoteBounded(request.resource()));
  if (const char* unusable = internal::IdentityUnusable(identity, now)) {
    e->set_summary(
        absl::StrCat("denied: the identity of ", QuoteBounded(identity.name()), " ", unusable));
    return response;
  }
  ResolvedRoles roles;
  internal::ResolveRoles(snapshot, identity.roles(), &roles);
  PredicateInput input;
  input.subject_name = identity.name();
  input.subject_roles = &identity.roles();
  input.subject_traits = &identity.traits();

  for (const CompiledRole* role : roles.known) {
    if (const CompiledRule* rule = FindRule(role->deny().rules, resource, verb, input)) {
      const std::string detail = RuleDetail(*rule, "deny");
      AddMatch(e, role->name(), "deny", "rules", true, detail);
      e->set_summary(absl::StrCat("denied by role \"", role->name(), "\" (", detail, ") for ",
                                  action, internal::NoteUnknownRoles(roles, e)));
      return response;
    }
  }
  // Like CheckAccess: a role that requires MFA requires it for everything the identity's
  // roles allow, administrative verbs included.
  const CompiledRole* mfa_role = nullptr;
  for (const CompiledRole* role : roles.known) {
    if (role->options().require_mfa) {
      mfa_role = role;
      break;
    }
  }
  for (const CompiledRole* role : roles.known) {
    if (const CompiledRule* rule = FindRule(role->allow().rules, resource, verb, input)) {
      const std::string detail = RuleDetail(*rule, "allow");
      AddMatch(e, role->name(), "allow", "rules", true, detail);
      if (mfa_role != nullptr && !identity.mfa_verified()) {
        AddMatch(e, mfa_role->name(), "allow", "options.require_mfa", true,
                 "session not verified with MFA");
        e->set_summary(absl::StrCat("denied: role \"", mfa_role->name(),
                                    "\" requires MFA and the session was not verified with it (",
                                    action, " is otherwise allowed by role \"", role->name(),
                                    "\"; log in with your second factor)",
                                    internal::NoteUnknownRoles(roles, e)));
        return response;
      }
      response.set_allowed(true);
      e->set_summary(absl::StrCat("allowed by role \"", role->name(), "\" (", detail, ") for ",
                                  action, internal::NoteUnknownRoles(roles, e)));
      return response;
    }
  }
  e->set_summary(absl::StrCat("denied: no role of ", QuoteBounded(identity.name()),
                              " has a rule allowing ", action,
                              internal::NoteUnknownRoles(roles, e)));
  return response;
}

}  // namespace jit::policy
