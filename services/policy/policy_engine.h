// PolicyEngine: the decisions of decisions.h over the current snapshot, with the identity
// expiry checked against an injected clock and the optional external decision hook
// combined (it can only deny).
//
// This is what the gRPC adapter (policy_service_impl.h) calls: one method per decision RPC, each a
// plain function of the request returning the response proto or a Status (INVALID_ARGUMENT for
// malformed input; PERMISSION_DENIED from ComputeCertParams). Thread-safe; the holder, clock
// and hook are borrowed and must outlive the engine.
#ifndef JIT_SERVICES_POLICY_POLICY_ENGINE_H_
#define JIT_SERVICES_POLICY_POLICY_ENGINE_H_

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/decision_hook.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy {

class PolicyEngine {
 public:
  // `hook` may be null (no external hook).
  PolicyEngine(const RoleSnapshotHolder* snapshots, const Clock* clock,
               const DecisionHook* hook = nullptr)
      : snapshots_(snapshots), clock_(clock), hook_(hook) {}

  absl::StatusOr<jit::policy::v1::CheckAccessResponse> CheckAccess(
      const jit::policy::v1::CheckAccessRequest& request) const;
  // The same, written into `*response` (e.g. the reply gRPC owns: no copy on the hot path);
  // on error `*response` is unspecified.
  absl::Status CheckAccess(const jit::policy::v1::CheckAccessRequest& request,
                           jit::policy::v1::CheckAccessResponse* response) const;
  absl::StatusOr<jit::policy::v1::CheckRequestResponse> CheckRequest(
      const jit::policy::v1::CheckRequestRequest& request) const;
  absl::StatusOr<jit::policy::v1::CheckReviewResponse> CheckReview(
      const jit::policy::v1::CheckReviewRequest& request) const;
  absl::StatusOr<jit::policy::v1::ComputeCertParamsResponse> ComputeCertParams(
      const jit::policy::v1::ComputeCertParamsRequest& request) const;
  absl::StatusOr<jit::policy::v1::CheckPermissionResponse> CheckPermission(
      const jit::policy::v1::CheckPermissionRequest& request) const;

 private:
  // Asks the hook about a local allow; returns false (and rewrites the explanation) if
  // the hook does not allow.
  bool HookAllows(absl::string_view decision, const google::protobuf::Message& request,
                  jit::policy::v1::Explanation* explanation) const;

  const RoleSnapshotHolder* snapshots_;
  const Clock* clock_;
  const DecisionHook* hook_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POLICY_ENGINE_H_
