// Automatic review (issue 15): right after a request is created, the access review rules of
// the policy service (EvaluateReviewRules) may decide it.
//
// - Deny wins: if a deny rule matches, the first one (by name) records a denial; else the
//   first approve rule (by name) whose per-user daily limit is not used up records an
//   approval. The review is by "system:auto-review", its reason names the rule, and it
//   counts towards the request's thresholds whose filter admits it (policy computes which):
//   the requester's thresholds still apply, so a rule is one review among those needed.
// - The daily limit: AutoApprovalQuota::Take reserves one of the rule's N approvals for the
//   user and day (in the rule's time zone) before the approval is written; concurrent creates
//   never exceed N. A reservation whose write then fails stays taken (fails closed: fewer
//   automatic approvals, never more).
// - Break-glass requests are never reviewed automatically (they are approved at once only
//   when their role allows break-glass, and then await a human after-the-fact review).
// - The review, and the approval or denial it brings about, are written with their audit
//   events (access_request.review / .approve / .deny, actor system:auto-review, details.rule)
//   in one transaction. A request no longer pending is left alone.
// - Policy unreachable or refusing: nothing is decided (the request waits for people); the
//   error is returned for the caller to log.
// Preview (dry-run) says what would happen without writing or taking a slot (a limit already
// used up is respected).
// Thread-safe; borrows everything.
#ifndef JIT_SERVICES_REQUESTS_AUTO_REVIEW_H_
#define JIT_SERVICES_REQUESTS_AUTO_REVIEW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jit/common/v1/identity.pb.h"
#include "services/policy/client/policy_client.h"
#include "services/requests/request_lifecycle.h"
#include "services/requests/request_store.h"

namespace jit::requests {

inline constexpr char kAutoReviewer[] = "system:auto-review";

// Per user, rule and day counts of automatic approvals. Thread-safe.
class AutoApprovalQuota {
 public:
  virtual ~AutoApprovalQuota() = default;
  // Takes one of `limit` slots; false when all are taken.
  virtual absl::StatusOr<bool> Take(std::string_view user, std::string_view rule,
                                    std::string_view day, uint32_t limit) = 0;
  virtual absl::StatusOr<uint32_t> Taken(std::string_view user, std::string_view rule,
                                         std::string_view day) = 0;
};

// The review a rule records: reviewer system:auto-review, verdict, reason naming the rule,
// the threshold names policy gave.
AccessReview AutoReviewOf(const policy::v1::ReviewRuleMatch& match, absl::Time now);

// The change that adds `review` (made by `rule`) to pending `current` and resolves it at
// `now`; write = false when `current` is not pending.
absl::StatusOr<RequestChange> AutoReviewChange(const AccessRequest& current,
                                               const AccessReview& review, std::string_view rule,
                                               absl::Time now);

class AutoReviewer final : public AutoReviewHook {
 public:
  AutoReviewer(RequestStore* store, policy::PolicyClient* policy, AutoApprovalQuota* quota,
               const Clock* clock)
      : store_(store), policy_(policy), quota_(quota), clock_(clock) {}

  // `created` as stored (with id). Returns the request after the automatic review, or
  // `created` unchanged when no rule decides.
  absl::StatusOr<AccessRequest> Apply(const jit::common::v1::Identity& requester,
                                      const AccessRequest& created) override;
  // `request` as it would be after the automatic review (nothing written).
  absl::StatusOr<AccessRequest> Preview(const jit::common::v1::Identity& requester,
                                        const AccessRequest& request) override;

 private:
  // The match that decides, if any; with take = true the approval slot is taken.
  absl::StatusOr<std::optional<policy::v1::ReviewRuleMatch>> Choose(
      const jit::common::v1::Identity& requester, const AccessRequest& request, bool take);

  RequestStore* const store_;
  policy::PolicyClient* const policy_;
  AutoApprovalQuota* const quota_;
  const Clock* const clock_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_AUTO_REVIEW_H_
