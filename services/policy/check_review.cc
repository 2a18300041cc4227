// CheckReview: may a reviewer review an access request, and which thresholds count it?
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/quote.h"
#include "services/policy/decision_util.h"
#include "services/policy/decisions.h"

namespace jit::policy {
namespace {

using internal::AddMatch;
using internal::NoteUnknownRoles;
using internal::ResolvedRoles;
using ::jit::common::v1::RoleThresholds;
using ::jit::policy::v1::CheckReviewRequest;
using ::jit::policy::v1::CheckReviewResponse;
using ::jit::policy::v1::Explanation;

absl::Status ValidateReview(const CheckReviewRequest& request) {
  if (request.reviewer().name().empty()) {
    return absl::InvalidArgumentError("reviewer.name is required");
  }
  if (request.request().user().empty()) {
    return absl::InvalidArgumentError("request.user is required");
  }
  if (request.request().roles_size() == 0) {
    return absl::InvalidArgumentError("request.roles must name at least one role");
  }
  return absl::OkStatus();
}

// True if the review_requests conditions match the requested role (and `where` holds).
const std::string* ReviewMatch(const CompiledConditions& conditions, absl::string_view role,
                               const Traits& reviewer_traits, const PredicateInput& input) {
  const std::string* expression = conditions.review_roles.Match(role, reviewer_traits);
  if (expression == nullptr) return nullptr;
  if (conditions.review_where.has_value() && !conditions.review_where->Evaluate(input)) {
    return nullptr;
  }
  return expression;
}

}  // namespace

absl::StatusOr<CheckReviewResponse> CheckReview(const RoleSnapshot& snapshot,
                                                const CheckReviewRequest& request, absl::Time now) {
  if (absl::Status s = ValidateReview(request); !s.ok()) return s;
  const auto& reviewer = request.reviewer();
  const auto& access_request = request.request();
  CheckReviewResponse response;
  Explanation* e = response.mutable_explanation();

  if (absl::EqualsIgnoreCase(reviewer.name(), access_request.user())) {
    AddMatch(e, "", "deny", "self_review", true,
             absl::StrCat(QuoteBounded(reviewer.name()), " is the requester"));
    e->set_summary(absl::StrCat("denied: ", QuoteBounded(reviewer.name()),
                                " cannot review their own request (self-review is never "
                                "allowed)"));
    return response;
  }
  if (const char* unusable = internal::IdentityUnusable(reviewer, now)) {
    e->set_summary(
        absl::StrCat("denied: the identity of ", QuoteBounded(reviewer.name()), " ", unusable));
    return response;
  }

  ResolvedRoles roles;
  internal::ResolveRoles(snapshot, reviewer.roles(), &roles);
  const Traits& traits = reviewer.traits();
  PredicateInput input;
  input.subject_name = reviewer.name();
  input.subject_roles = &reviewer.roles();
  input.subject_traits = &traits;
  input.request_roles = &access_request.roles();
  input.request_reason = access_request.reason();
  input.request_user = access_request.user();
  input.request_traits = &access_request.requester_traits();

  std::vector<std::string> denials;
  std::vector<std::string> allowances;
  for (const std::string& requested : access_request.roles()) {
    const CompiledRole* denied_by = nullptr;
    const std::string* expression = nullptr;
    for (const CompiledRole* role : roles.known) {
      expression = ReviewMatch(role->deny(), requested, traits, input);
      if (expression != nullptr) {
        denied_by = role;
        break;
      }
    }
    if (denied_by != nullptr) {
      const std::string detail = absl::StrCat(
          QuoteBounded(requested), " matches \"", *expression, "\"",
          denied_by->deny().review_where.has_value()
              ? absl::StrCat(" and where \"", denied_by->deny().review_where->source(), "\" holds")
              : "");
      AddMatch(e, denied_by->name(), "deny", "review_requests", true, detail);
      denials.push_back(absl::StrCat("role \"", denied_by->name(), "\" denies reviewing ",
                                     QuoteBounded(requested), " (", detail, ")"));
      continue;
    }
    const CompiledRole* allowed_by = nullptr;
    for (const CompiledRole* role : roles.known) {
      expression = ReviewMatch(role->allow(), requested, traits, input);
      if (expression != nullptr) {
        allowed_by = role;
        break;
      }
    }
    if (allowed_by == nullptr) {
      AddMatch(e, requested, "allow", "review_requests", false,
               "no reviewer role's allow.review_requests matches (roles and where)");
      denials.push_back(absl::StrCat("no role of ", QuoteBounded(reviewer.name()),
                                     " allows reviewing ", QuoteBounded(requested)));
      continue;
    }
    const std::string detail = absl::StrCat(
        QuoteBounded(requested), " matches \"", *expression, "\"",
        allowed_by->allow().review_where.has_value()
            ? absl::StrCat(" and where \"", allowed_by->allow().review_where->source(), "\" holds")
            : "");
    AddMatch(e, allowed_by->name(), "allow", "review_requests", true, detail);
    allowances.push_back(absl::StrCat("role \"", allowed_by->name(), "\" allows reviewing ",
                                      QuoteBounded(requested)));
  }
  const std::string unknown_note = NoteUnknownRoles(roles, e);
  if (!denials.empty()) {
    e->set_summary(absl::StrCat("denied: ", absl::StrJoin(denials, "; "), unknown_note));
    return response;
  }

  // Which of the request's thresholds this review counts towards.
  std::vector<std::string> counted;
  for (const RoleThresholds& role_thresholds : access_request.thresholds()) {
    RoleThresholds* out = response.add_matching_thresholds();
    out->set_role(role_thresholds.role());
    for (const auto& threshold : role_thresholds.thresholds()) {
      bool matches = true;
      if (!threshold.filter().empty()) {
        const Predicate* filter = snapshot.FindThresholdFilter(threshold.filter());
        std::optional<Predicate> compiled;
        if (filter == nullptr) {
          // A filter no current role carries (the role changed since the request was
          // made): compile it now. One that no longer compiles counts nothing.
          absl::StatusOr<Predicate> p =
              Predicate::Compile(threshold.filter(), PredicateScope::kReview);
          if (p.ok()) compiled = *std::move(p);
          filter = compiled.has_value() ? &*compiled : nullptr;
        }
        matches = filter != nullptr && filter->Evaluate(input);
      }
      if (matches) {
        *out->add_thresholds() = threshold;
        counted.push_back(absl::StrCat(role_thresholds.role(), "/", threshold.name()));
      }
    }
  }
  response.set_allowed(true);
  e->set_summary(absl::StrCat("allowed: ", absl::StrJoin(allowances, "; "),
                              counted.empty()
                                  ? "; the review counts towards no threshold"
                                  : absl::StrCat("; counts towards ", absl::StrJoin(counted, ", ")),
                              unknown_note));
  return response;
}

}  // namespace jit::policy
