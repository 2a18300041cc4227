#include "services/policy/review_rules/review_rule_evaluator.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/policy/predicate.h"

namespace jit::policy {
namespace {

using jit::policy::v1::EvaluateReviewRulesRequest;
using jit::policy::v1::EvaluateReviewRulesResponse;
using jit::policy::v1::ReviewRuleMatch;

// "<role>/<threshold>" of every threshold whose filter admits the automatic reviewer.
std::vector<std::string> AdmittingThresholds(const jit::common::v1::AccessRequest& request) {
  const StringField no_roles;
  const Traits no_traits;
  PredicateInput input;
  input.subject_name = kAutoReviewer;
  input.subject_roles = &no_roles;
  input.subject_traits = &no_traits;
  input.request_roles = &request.roles();
  input.request_reason = request.reason();
  input.request_user = request.user();
  input.request_traits = &request.requester_traits();
  std::vector<std::string> out;
  for (const auto& rt : request.thresholds()) {
    for (const auto& t : rt.thresholds()) {
      bool admits = true;
      if (!t.filter().empty()) {
        absl::StatusOr<Predicate> filter = Predicate::Compile(t.filter(), PredicateScope::kReview);
        admits = filter.ok() && filter->Evaluate(input);  // one that no longer compiles: no
      }
      if (admits) out.push_back(absl::StrCat(rt.role(), "/", t.name()));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<EvaluateReviewRulesResponse> EvaluateReviewRules(
    const std::vector<CompiledReviewRule>& rules, const EvaluateReviewRulesRequest& request,
    absl::Time now, OnCallSource* on_call) {
  if (request.user().name().empty()) return absl::InvalidArgumentError("user.name: empty");
  if (request.request().roles_size() == 0) {
    return absl::InvalidArgumentError("request.roles: name at least one role");
  }
  std::vector<const CompiledReviewRule*> ordered;
  for (const CompiledReviewRule& rule : rules) ordered.push_back(&rule);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    if (a->is_deny() != b->is_deny()) return a->is_deny();
    return a->name() < b->name();
  });
  EvaluateReviewRulesResponse response;
  auto* e = response.mutable_explanation();
  const ReviewRuleInput input{&request.user(), &request.request(), now};
  std::vector<std::string> thresholds;
  bool thresholds_done = false;
  std::vector<std::string> matched;
  std::optional<absl::StatusOr<bool>> on_call_now;  // asked at most once
  for (const CompiledReviewRule* rule : ordered) {
    auto* m = e->add_matches();
    m->set_role(rule->name());
    m->set_side(rule->is_deny() ? "deny" : "allow");
    m->set_field("access_review_rule");
    std::string why;
    bool matches = rule->Matches(input, &why);
    if (matches && rule->needs_on_call()) {
      if (!on_call_now.has_value()) {
        on_call_now = on_call == nullptr ? absl::StatusOr<bool>(absl::FailedPreconditionError(
                                               "no on-call source is configured"))
                                         : on_call->IsOnCall(request.user(), now);
      }
      if (!on_call_now->ok()) {
        // Fail closed either way.
        matches = rule->is_deny();
        why = absl::StrCat("on-call unknown (", on_call_now->status().message(), ")");
      } else if (!**on_call_now) {
        matches = false;
        why = "the requester is not on call";
      }
    }
    m->set_matched(matches);
    m->set_detail(matches ? (why.empty() ? "every condition holds" : why) : why);
    if (!matches) continue;
    if (!thresholds_done) {
      thresholds = AdmittingThresholds(request.request());
      thresholds_done = true;
    }
    ReviewRuleMatch* match = response.add_matches();
    match->set_rule(rule->name());
    match->set_decision(rule->rule().spec().decision());
    match->set_max_approvals_per_user_per_day(rule->rule().spec().max_approvals_per_user_per_day());
    match->set_time_zone(rule->time_zone().name());
    for (const std::string& t : thresholds) match->add_threshold_names(t);
    match->set_revision(rule->rule().metadata().revision());
    matched.push_back(
        absl::StrCat(rule->is_deny() ? "deny" : "approve", " rule \"", rule->name(), "\""));
  }
  e->set_summary(matched.empty() ? "no review rule matches"
                                 : absl::StrCat("matched: ", absl::StrJoin(matched, ", ")));
  return response;
}

}  // namespace jit::policy
