// PolicyClient: how other services ask the policy service for decisions. Interface here,
// the gRPC implementation in grpc_policy_client.h, a fake for unit tests in
// testing/fake_policy_client.h.
//
// Every method returns the policy service's answer or an error, never both: UNAVAILABLE
// when policy is down, unreachable or slower than the deadline (retryable); INTERNAL for a
// deployment fault (policy refused our service identity, or a server with another
// identity answered); other codes as policy returned them (INVALID_ARGUMENT, ...). Callers
// fail closed: anything but an answer that allows is a refusal.
// Implementations are thread-safe.
#ifndef JIT_SERVICES_POLICY_CLIENT_POLICY_CLIENT_H_
#define JIT_SERVICES_POLICY_CLIENT_POLICY_CLIENT_H_

#include "absl/status/statusor.h"
#include "jit/policy/v1/policy.pb.h"

namespace jit::policy {

class PolicyClient {
 public:
  virtual ~PolicyClient() = default;

  // For the requests service: may this user ask for these roles, and who reviews?
  virtual absl::StatusOr<v1::CheckRequestResponse> CheckRequest(
      const v1::CheckRequestRequest& request) = 0;
  // For the requests service: may this reviewer review this request?
  virtual absl::StatusOr<v1::CheckReviewResponse> CheckReview(
      const v1::CheckReviewRequest& request) = 0;
  // For the ca: the principals, extensions and TTL a certificate may carry.
  virtual absl::StatusOr<v1::ComputeCertParamsResponse> ComputeCertParams(
      const v1::ComputeCertParamsRequest& request) = 0;
  // Any service: may this identity reach this resource?
  virtual absl::StatusOr<v1::CheckAccessResponse> CheckAccess(
      const v1::CheckAccessRequest& request) = 0;
  // Any service: may this identity use this administrative verb on this resource?
  virtual absl::StatusOr<v1::CheckPermissionResponse> CheckPermission(
      const v1::CheckPermissionRequest& request) = 0;
  // For the requests service: the access review rules matching a request just made.
  // Clients that do not implement it answer UNIMPLEMENTED (no rule decides).
  virtual absl::StatusOr<v1::EvaluateReviewRulesResponse> EvaluateReviewRules(
      const v1::EvaluateReviewRulesRequest& request) {
    return absl::UnimplementedError("EvaluateReviewRules is not implemented by this client");
  }
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_CLIENT_POLICY_CLIENT_H_
