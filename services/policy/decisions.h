// The policy decisions, as plain functions of a role snapshot and a request proto.
// - Roles the snapshot does not know grant nothing (the explanation says so).
// - Deny wins: a role's deny side matches if ANY matcher for the resource matches; allow
//   needs ONE role whose allow side matches ALL of them.
// - Options merge to the strictest: shortest max_session_ttl / client_idle_timeout /
//   request_ttl (defaults kDefaultMaxSessionTtl, kDefaultRequestTtl), require_mfa if any.
// - An identity past its expire_time, or without one, is denied everything.
// Malformed input is INVALID_ARGUMENT; a refusal is OK with allowed = false and an
// explanation naming the roles and rules that decided.
// Thread-safe: read-only over snapshot and request; no per-role allocation on the common path.
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
