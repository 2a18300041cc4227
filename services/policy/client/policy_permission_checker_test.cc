// PolicyPermissionChecker over the policy client's fake: how each answer of policy maps
// (never to an allow unless policy said allowed). How a down or slow policy service becomes
// UNAVAILABLE on the wire is services/policy/client/grpc_policy_client_test.
#include "services/policy/client/policy_permission_checker.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/client/testing/fake_policy_client.h"

namespace jit::policy {
namespace {

using ::jit::policy::testing::FakePolicyClient;
using ::jit::policy::v1::CheckPermissionResponse;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

jit::common::v1::Identity Admin() {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name("admin");
  id.add_roles("admin");
  return id;
}

CheckPermissionResponse Decision(bool allowed) {
  CheckPermissionResponse response;
  response.set_allowed(allowed);
  response.mutable_explanation()->set_summary(allowed ? "allowed by role admin"
                                                      : "denied: no role allows it");
  return response;
}

class PolicyPermissionCheckerTest : public ::testing::Test {
 protected:
  FakePolicyClient policy_;
  PolicyPermissionChecker checker_{&policy_};
};

TEST_F(PolicyPermissionCheckerTest, AllowedIsOkAndTheRequestCarriesCallerResourceAndVerb) {
  policy_.check_permission.Answer(Decision(true));
  EXPECT_OK(checker_.Check(Admin(), "user", "create"));
  const auto last = policy_.check_permission.requests().back();
  EXPECT_EQ(last.identity().name(), "admin");
  EXPECT_EQ(last.identity().roles(0), "admin");
  EXPECT_EQ(last.resource(), "user");
  EXPECT_EQ(last.verb(), "create");
}

TEST_F(PolicyPermissionCheckerTest, NotAllowedIsPermissionDeniedWithTheExplanation) {
  policy_.check_permission.Answer(Decision(false));
  EXPECT_THAT(checker_.Check(Admin(), "user", "delete"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("delete user: denied: no role allows it")));
}

TEST_F(PolicyPermissionCheckerTest, PolicyErrorsAreInternalNeverAllowed) {
  for (absl::StatusCode code :
       {absl::StatusCode::kUnimplemented, absl::StatusCode::kInvalidArgument,
        absl::StatusCode::kUnauthenticated, absl::StatusCode::kPermissionDenied,
        absl::StatusCode::kInternal}) {
    policy_.check_permission.Answer(absl::Status(code, "no"));
    EXPECT_THAT(checker_.Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kInternal))
        << code;
  }
}

TEST_F(PolicyPermissionCheckerTest, NoAnswerFromPolicyIsNeverAnAllow) {
  EXPECT_THAT(checker_.Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(PolicyPermissionCheckerTest, PolicyUnavailableIsUnavailable) {
  policy_.check_permission.Answer(absl::UnavailableError("policy service unavailable"));
  EXPECT_THAT(checker_.Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::policy
