// PolicyClient over gRPC: each call is an mTLS call to jit-policy as this service (the
// PeerClient's channel verifies that the server is the policy service) with the peer's
// deadline (--rpc_timeout), its status mapped once by PeerClient::ToStatus (policy_client.h
// lists the codes). Thread-safe; the peer is borrowed and must outlive the client.
#ifndef JIT_SERVICES_POLICY_CLIENT_GRPC_POLICY_CLIENT_H_
#define JIT_SERVICES_POLICY_CLIENT_GRPC_POLICY_CLIENT_H_

#include <memory>

#include "common/client/peer.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/policy/client/policy_client.h"

namespace jit::policy {

class GrpcPolicyClient final : public PolicyClient {
 public:
  // `peer` is named "policy" and points at --policy_addr.
  explicit GrpcPolicyClient(const client::PeerClient* peer);

  absl::StatusOr<v1::CheckRequestResponse> CheckRequest(
      const v1::CheckRequestRequest& request) override;
  absl::StatusOr<v1::CheckReviewResponse> CheckReview(
      const v1::CheckReviewRequest& request) override;
  absl::StatusOr<v1::EvaluateReviewRulesResponse> EvaluateReviewRules(
      const v1::EvaluateReviewRulesRequest& request) override;
  absl::StatusOr<v1::ComputeCertParamsResponse> ComputeCertParams(
      const v1::ComputeCertParamsRequest& request) override;
  absl::StatusOr<v1::CheckAccessResponse> CheckAccess(
      const v1::CheckAccessRequest& request) override;
  absl::StatusOr<v1::CheckPermissionResponse> CheckPermission(
      const v1::CheckPermissionRequest& request) override;

 private:
  const client::PeerClient* const peer_;
  const std::unique_ptr<v1::PolicyService::Stub> stub_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_CLIENT_GRPC_POLICY_CLIENT_H_
