#include "services/policy/client/grpc_policy_client.h"

namespace jit::policy {

using Stub = v1::PolicyService::Stub;

GrpcPolicyClient::GrpcPolicyClient(const client::PeerClient* peer)
    : peer_(peer), stub_(v1::PolicyService::NewStub(peer->channel())) {}

absl::StatusOr<v1::CheckRequestResponse> GrpcPolicyClient::CheckRequest(
    const v1::CheckRequestRequest& request) {
  return peer_->Call(*stub_, &Stub::CheckRequest, request);
}

absl::StatusOr<v1::EvaluateReviewRulesResponse> GrpcPolicyClient::EvaluateReviewRules(
    const v1::EvaluateReviewRulesRequest& request) {
  return peer_->Call(*stub_, &Stub::EvaluateReviewRules, request);
}

absl::StatusOr<v1::CheckReviewResponse> GrpcPolicyClient::CheckReview(
    const v1::CheckReviewRequest& request) {
  return peer_->Call(*stub_, &Stub::CheckReview, request);
}

absl::StatusOr<v1::ComputeCertParamsResponse> GrpcPolicyClient::ComputeCertParams(
    const v1::ComputeCertParamsRequest& request) {
  return peer_->Call(*stub_, &Stub::ComputeCertParams, request);
}

absl::StatusOr<v1::CheckAccessResponse> GrpcPolicyClient::CheckAccess(
    const v1::CheckAccessRequest& request) {
  return peer_->Call(*stub_, &Stub::CheckAccess, request);
}

absl::StatusOr<v1::CheckPermissionResponse> GrpcPolicyClient::CheckPermission(
    const v1::CheckPermissionRequest& request) {
  return peer_->Call(*stub_, &Stub::CheckPermission, request);
}

}  // namespace jit::policy
