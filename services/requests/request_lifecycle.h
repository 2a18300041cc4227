// RequestLifecycle: the access-request lifecycle (issue 9) as plain logic over a
// RequestStore, the policy service (CheckRequest, CheckReview, CheckPermission) and a Clock.
//
//   PENDING -> APPROVED | DENIED | CANCELLED | EXPIRED;  APPROVED -> EXPIRED | REVOKED
//
// - Create: policy's CheckRequest decides. A denial is PERMISSION_DENIED with policy's
//   explanation (it names the role and the rule); a missing required reason, or a
//   requested_duration over the policy maximum, is INVALID_ARGUMENT naming the maximum.
//   The pending request expires at create + policy's request_ttl. With request_key the same
//   key and content give back the first request; other content is ALREADY_EXISTS.
//   dry_run checks everything and stores nothing (the answer has no id).
// - Break-glass (create with break_glass): policy must allow it for every role (a role
//   option with its own max duration); the request is APPROVED at once, its window opening
//   now, an access_request.break_glass alert event is written with it, and it awaits an
//   after-the-fact review (post_review AWAITING, due after break_glass_review_window): a
//   review by an allowed reviewer confirms (approve) or flags (deny) it, whatever its
//   state by then. ListRequests(break_glass_awaiting_review) shows the unreviewed ones.
// - Review: never by the requester (PERMISSION_DENIED); CheckReview must allow it and says
//   which thresholds it counts towards; one review per reviewer (ALREADY_EXISTS); a decided
//   request is FAILED_PRECONDITION. Decision (Resolve): any denial threshold met denies;
//   else the candidate roles are those every counted approval names (an approval may name a
//   subset), and the request is approved once every candidate role has a threshold met;
//   the grant holds the candidate roles for [start_time or approval, + max_duration).
// - Cancel (the requester, while pending); RevokeGrant (the requester, a reviewer of the
//   request, or whoever policy lets "revoke" "grant", while approved).
// - Reading someone else's request needs reviewer rights over it or "read"/"list"
//   "access_request" permission (PERMISSION_DENIED).
// - A request past its due time is expired by whichever call meets it first (a review,
//   cancel or revoke then gets FAILED_PRECONDITION) or by the sweeper (ExpireDue).
// Every change and its audit event (access_request.create/.review/.approve/.deny/.cancel/
// .expire, grant.revoke) commit together (the store's outbox). Bad input is
// INVALID_ARGUMENT naming the limit; an unknown id NOT_FOUND; policy down UNAVAILABLE.
// Thread-safe; borrows everything it is given.
#ifndef JIT_SERVICES_REQUESTS_REQUEST_LIFECYCLE_H_
#define JIT_SERVICES_REQUESTS_REQUEST_LIFECYCLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "jit/common/v1/identity.pb.h"
#include "jit/requests/v1/requests.pb.h"
#include "services/policy/client/permission_checker.h"
#include "services/policy/client/policy_client.h"
#include "services/requests/request_store.h"

namespace jit::requests {

using jit::common::v1::Grant;
using jit::common::v1::Identity;

// Limits of the API (errors name them).
inline constexpr size_t kMaxReasonBytes = 2048;
inline constexpr int kMaxRoles = 64;
inline constexpr size_t kMaxNameBytes = 253;
inline constexpr int kMaxSuggestedReviewers = 32;
inline constexpr size_t kMaxRequestKeyBytes = 128;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxGrantIds = 1000;

struct RequestLifecycleOptions {
  // How far in the past a start_time may lie (clock skew between client and server).
  absl::Duration start_skew = absl::Minutes(1);
  // How far ahead a start_time may lie.
  absl::Duration max_start_delay = absl::Hours(24 * 30);
  // Rows ListRequests(reviewable_by_me) examines per call before returning a short page.
  int max_reviewable_scan = 1000;
  // How long reviewers have to confirm or flag a break-glass request.
  absl::Duration break_glass_review_window = absl::Hours(24);
};

// Told about decisions (metrics); may be null. Thread-safe.
class LifecycleObserver {
 public:
  virtual ~LifecycleObserver() = default;
  virtual void Created(const AccessRequest& request) = 0;
  // `request` left PENDING or APPROVED for `request.state()`, at `now`.
  virtual void Transitioned(AccessRequestState from, const AccessRequest& request,
                            absl::Time now) = 0;
};

// The outcome the reviews of `request` give (PENDING, APPROVED or DENIED) and, when
// APPROVED, the roles of the grant.
struct Resolution {
  AccessRequestState state = jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
  std::vector<std::string> granted_roles;
};
Resolution Resolve(const AccessRequest& request);

// The change that expires `current` at `now` (write = false when it is not live or not
// due yet).
absl::StatusOr<RequestChange> ExpireChange(const AccessRequest& current, absl::Time now);

// The grant of an approved or revoked request, as the CA sees it at `now`.
Grant GrantOf(const AccessRequest& request, absl::Time now);

// What policy's CheckReview reads of a request, as bytes: requests with equal keys get the
// same answer for one reviewer (so it is asked once per key in a listing).
std::string ReviewDecisionKey(const AccessRequest& request);

// Decides a request right after it is created (automatic review, auto_review.h). Thread-safe.
class AutoReviewHook {
 public:
  virtual ~AutoReviewHook() = default;
  // `created` as stored; returns it as it stands afterwards (unchanged when nothing decided).
  virtual absl::StatusOr<AccessRequest> Apply(const Identity& requester,
                                              const AccessRequest& created) = 0;
  // A dry run: the request as it would stand, nothing written.
  virtual absl::StatusOr<AccessRequest> Preview(const Identity& requester,
                                                const AccessRequest& request) = 0;
};

class RequestLifecycle {
 public:
  RequestLifecycle(RequestStore* store, policy::PolicyClient* policy,
                   policy::PermissionChecker* permissions, const Clock* clock,
                   RequestLifecycleOptions options = {}, LifecycleObserver* observer = nullptr)
      : store_(store),
        policy_(policy),
        permissions_(permissions),
        clock_(clock),
        options_(options),
        observer_(observer) {}

  // With an auto-review hook set, a stored (non-break-glass) request is handed to it right
  // after create and a dry run returns its preview (a review by system:auto-review naming
  // the rule that would decide); a hook error leaves the request pending (logged).
  absl::StatusOr<AccessRequest> Create(const Identity& caller, const audit::AuditActor& actor,
                                       const v1::CreateRequestRequest& request);
  // Before serving; borrowed, may be null.
  void set_auto_review(AutoReviewHook* hook) { auto_review_ = hook; }
  absl::StatusOr<AccessRequest> Get(const Identity& caller, const v1::GetRequestRequest& request);
  // user "" = all (with "list access_request" permission) or else the caller's own;
  // reviewable_by_me = requests of others that CheckReview lets the caller review, PENDING
  // ones unless `states` or break_glass_awaiting_review say otherwise. Policy is asked once
  // per distinct (user, roles, reason, traits, thresholds) in a call; at most
  // options.max_reviewable_scan rows are examined, and none once `deadline` (the RPC's) has
  // passed: the page may then be short, with a token to continue after the last row examined.
  absl::StatusOr<v1::ListRequestsResponse> List(const Identity& caller,
                                                const v1::ListRequestsRequest& request,
                                                absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<AccessRequest> Review(const Identity& caller, const audit::AuditActor& actor,
                                       const v1::ReviewRequestRequest& request);
  absl::StatusOr<AccessRequest> Cancel(const Identity& caller, const audit::AuditActor& actor,
                                       const v1::CancelRequestRequest& request);
  absl::StatusOr<Grant> RevokeGrant(const Identity& caller, const audit::AuditActor& actor,
                                    const v1::RevokeGrantRequest& request);
  // For the CA (the method table admits only it): approved grants whose window has not
  // ended (also those starting later), and revoked ones with their revoke time.
  absl::StatusOr<v1::ListActiveGrantsResponse> ListActiveGrants(
      const v1::ListActiveGrantsRequest& request);

  // Expires up to `batch` due requests; returns how many changed.
  absl::StatusOr<int> ExpireDue(int batch);

  // For WatchRequests (request_watch.h), the rules ListRequests and GetRequest follow:
  // whether `caller` may list everyone's requests ("list" on access_request), and whether
  // policy lets `caller` review `request`. Errors: policy unreachable (never a yes).
  absl::StatusOr<bool> MayListAll(const Identity& caller);
  absl::StatusOr<bool> MayReview(const Identity& caller, const AccessRequest& request);

 private:
  // OK when `caller` may review `request` per policy; PERMISSION_DENIED with policy's
  // explanation when not.
  absl::StatusOr<policy::v1::CheckReviewResponse> CheckReview(const Identity& caller,
                                                              const AccessRequest& request);
  // Requester, reviewer rights, or `verb` on `resource`.
  absl::Status MayRead(const Identity& caller, const AccessRequest& request);
  // The after-the-fact review of a break-glass request: confirms or flags it.
  absl::StatusOr<AccessRequest> PostReview(const Identity& caller, const audit::AuditActor& actor,
                                           const v1::ReviewRequestRequest& rq,
                                           const AccessRequest& current);
  void Notify(AccessRequestState from, const AccessRequest& request, absl::Time now);

  RequestStore* const store_;
  policy::PolicyClient* const policy_;
  policy::PermissionChecker* const permissions_;
  const Clock* const clock_;
  const RequestLifecycleOptions options_;
  LifecycleObserver* const observer_;
  AutoReviewHook* auto_review_ = nullptr;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUEST_LIFECYCLE_H_
