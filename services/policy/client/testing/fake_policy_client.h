// A PolicyClient for unit tests of the services that call policy: each method answers what
// the test set (a reply, an error such as UNAVAILABLE, or a function of the request) and
// records its requests; a method with no answer set fails with UNIMPLEMENTED (a refusal).
//
//   FakePolicyClient policy;
//   policy.check_permission.Answer(Allowed());
//   ... logic under test ...
//   EXPECT_EQ(policy.check_permission.requests().back().verb(), "create");
#ifndef JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_POLICY_CLIENT_H_
#define JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_POLICY_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/policy/client/policy_client.h"

namespace jit::policy::testing {

class FakePolicyClient final : public PolicyClient {
 public:
  client::testing::FakeRpc<v1::CheckRequestRequest, v1::CheckRequestResponse> check_request{
      "CheckRequest"};
  client::testing::FakeRpc<v1::CheckReviewRequest, v1::CheckReviewResponse> check_review{
      "CheckReview"};
  client::testing::FakeRpc<v1::ComputeCertParamsRequest, v1::ComputeCertParamsResponse>
      compute_cert_params{"ComputeCertParams"};
  client::testing::FakeRpc<v1::CheckAccessRequest, v1::CheckAccessResponse> check_access{
      "CheckAccess"};
  client::testing::FakeRpc<v1::CheckPermissionRequest, v1::CheckPermissionResponse>
      check_permission{"CheckPermission"};
  client::testing::FakeRpc<v1::EvaluateReviewRulesRequest, v1::EvaluateReviewRulesResponse>
      evaluate_review_rules{"EvaluateReviewRules"};

  absl::StatusOr<v1::CheckRequestResponse> CheckRequest(
      const v1::CheckRequestRequest& request) override {
    return check_request.Call(request);
  }
  absl::StatusOr<v1::CheckReviewResponse> CheckReview(
      const v1::CheckReviewRequest& request) override {
    return check_review.Call(request);
  }
  absl::StatusOr<v1::ComputeCertParamsResponse> ComputeCertParams(
      const v1::ComputeCertParamsRequest& request) override {
    return compute_cert_params.Call(request);
  }
  absl::StatusOr<v1::CheckAccessResponse> CheckAccess(
      const v1::CheckAccessRequest& request) override {
    return check_access.Call(request);
  }
  absl::StatusOr<v1::CheckPermissionResponse> CheckPermission(
      const v1::CheckPermissionRequest& request) override {
    return check_permission.Call(request);
  }
  absl::StatusOr<v1::EvaluateReviewRulesResponse> EvaluateReviewRules(
      const v1::EvaluateReviewRulesRequest& request) override {
    return evaluate_review_rules.Call(request);
  }
};

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_POLICY_CLIENT_H_
