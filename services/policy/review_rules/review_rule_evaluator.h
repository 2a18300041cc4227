// EvaluateReviewRules: which access review rules decide a request just made.
//
// A rule matches when it covers the requested roles (approve: all of them; deny: any), the
// requested duration is within its max_duration, `now` is inside its schedule, its `where`
// holds for the requester and the request, and (on_call: true) `on_call` says the requester
// is on call now. Without an on-call source, or when it fails, the on-call condition fails
// closed: an approve rule does not match, a deny rule does.
// Matches come deny rules first, then approve rules, each by name; each carries the
// request's thresholds whose filter admits a review by "system:auto-review" (no roles, no
// traits). The per-user daily limit is not applied here (the requests service holds the
// counts); the explanation lists every rule and why it did or did not match.
// INVALID_ARGUMENT for a request without user name or roles. Thread-safe (`on_call` must be).
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_EVALUATOR_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_EVALUATOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/review_rules/on_call_source.h"
#include "services/policy/review_rules/review_rule.h"

namespace jit::policy {

inline constexpr char kAutoReviewer[] = "system:auto-review";

absl::StatusOr<jit::policy::v1::EvaluateReviewRulesResponse> EvaluateReviewRules(
    const std::vector<CompiledReviewRule>& rules,
    const jit::policy::v1::EvaluateReviewRulesRequest& request, absl::Time now,
    OnCallSource* on_call);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_EVALUATOR_H_
