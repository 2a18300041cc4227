// The policy decisions, as plain functions of a role snapshot and a request proto.
//
// Common rules:
//  - The identity's roles are looked up in the snapshot; a name the snapshot does not know
//    grants nothing, and the explanation says so ("role \"ghost\" does not exist; it
//    grants nothing").
//  - Deny wins: a role's deny side matches if ANY of its matchers for the resource matches
//    (labels, or the login/db user/db name/kube group/kube user asked for). Allow needs ONE
//    role whose allow side matches ALL of them.
//  - Options merge across roles: shortest max_session_ttl (kDefaultMaxSessionTtl when no
//    role sets one), require_mfa if any role requires it, the union of record_session
//    (the strictest), shortest client_idle_timeout, shortest request_ttl
//    (kDefaultRequestTtl when no role sets one).
//  - An identity whose expire_time has passed (`now`) is denied everything, and so is one
//    without an expire_time (nothing valid lasts forever; a caller that forgot to set it
//    gets a denial that says so, never an allow).
//  - Malformed input (a missing resource kind, login, user name, requested role ...) is
//    INVALID_ARGUMENT; a refused request is an OK status with allowed = false and an
//    explanation naming the roles and rules that decided.
// Thread-safe: the functions only read the snapshot and the request. They never allocate
// per role on the common path.
#ifndef JIT_SERVICES_POLICY_DECISIONS_H_
#define JIT_SERVICES_POLICY_DECISIONS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy {

// Teleport's default certificate/session length when no role sets max_session_ttl.
inline constexpr absl::Duration kDefaultMaxSessionTtl = absl::Hours(30);
// How long a pending request may wait when no role sets request_ttl.
inline constexpr absl::Duration kDefaultRequestTtl = absl::Hours(1);

// May the identity reach the resource? Nodes need resource.login; databases need db_user
// (db_name is checked when given); Kubernetes checks kube_group / kube_user when given and
// needs an allowing role that grants some group or user; apps are labels only.
// mfa_required is set (and access denied) when a role requires MFA and the identity's
// session was not verified with it.
absl::StatusOr<jit::policy::v1::CheckAccessResponse> CheckAccess(
    const RoleSnapshot& snapshot, const jit::policy::v1::CheckAccessRequest& request,
    absl::Time now);

// The same, written into `*response` (cleared first), e.g. a reply message the gRPC
// framework owns or one allocated on an Arena; on error `*response` is unspecified.
absl::Status CheckAccess(const RoleSnapshot& snapshot,
                         const jit::policy::v1::CheckAccessRequest& request, absl::Time now,
                         jit::policy::v1::CheckAccessResponse* response);

// May the user request these roles? Each requested role must exist, be allowed by some
// base role's allow.request.roles and by no base role's deny.request.roles. Per requested
// role: thresholds of the allowing roles (approve 1/deny 1 named "default" when they set
// none); the longest max_duration among them. Granted length: min(requested (0 = longest),
// the shortest per-role max_duration, the shortest max_session_ttl of the requested
// roles). A reason is required when an allowing role says reason.mode: required.
absl::StatusOr<jit::policy::v1::CheckRequestResponse> CheckRequest(
    const RoleSnapshot& snapshot, const jit::policy::v1::CheckRequestRequest& request,
    absl::Time now);

// May the reviewer review the request? Never their own (user names compared
// case-insensitively). Every requested role must be matched by some reviewer role's
// allow.review_requests (roles, and `where` if set) and by no deny.review_requests.
// matching_thresholds lists, per requested role, the request's thresholds whose filter
// is true for this reviewer.
absl::StatusOr<jit::policy::v1::CheckReviewResponse> CheckReview(
    const RoleSnapshot& snapshot, const jit::policy::v1::CheckReviewRequest& request,
    absl::Time now);

// What a certificate may contain: allowed principals of all roles minus denied ones
// (sorted, deduplicated), and the merged options. PERMISSION_DENIED if the identity has
// expired or carries no expire_time, or none of the roles exists.
absl::StatusOr<jit::policy::v1::ComputeCertParamsResponse> ComputeCertParams(
    const RoleSnapshot& snapshot, const jit::policy::v1::ComputeCertParamsRequest& request,
    absl::Time now);

// May the identity perform `verb` on `resource` (the roles' admin `rules`)? A matching
// deny rule (whose `where`, if any, holds) denies; else a matching allow rule allows.
absl::StatusOr<jit::policy::v1::CheckPermissionResponse> CheckPermission(
    const RoleSnapshot& snapshot, const jit::policy::v1::CheckPermissionRequest& request,
    absl::Time now);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_DECISIONS_H_
