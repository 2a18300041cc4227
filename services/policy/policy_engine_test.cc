#include "services/policy/policy_engine.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/policy/role_parser.h"
#include "services/policy/testing/fake_decision_hook.h"

namespace jit::policy {
namespace {

// Identities carry an expire_time (one without is refused); this one is far ahead of every
// test clock.
constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01

namespace pb = ::jit::policy::v1;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using FakeHook = ::jit::policy::testing::FakeDecisionHook;

constexpr char kRoles[] = R"yaml(
kind: role
version: v7
metadata: {name: dev}
spec:
  allow:
    logins: [ubuntu]
    node_labels: {env: staging}
    request:
      roles: [prod-ro]
    rules:
      - resources: [access_request]
        verbs: [list]
---
kind: role
version: v7
metadata: {name: prod-ro}
spec:
  allow:
    review_requests: {roles: [prod-ro]}
)yaml";

class PolicyEngineTest : public ::testing::Test {
 protected:
  PolicyEngineTest() {
    absl::StatusOr<std::vector<jit::common::v1::Role>> roles = ParseRoleDocuments(kRoles);
    EXPECT_TRUE(roles.ok()) << roles.status();
    absl::StatusOr<std::shared_ptr<const RoleSnapshot>> snapshot = RoleSnapshot::Create(*roles);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    holder_.Set(*snapshot);
    access_.mutable_identity()->set_name("alice");
    access_.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
    access_.mutable_identity()->add_roles("dev");
    access_.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
    (*access_.mutable_resource()->mutable_labels())["env"] = "staging";
    access_.mutable_resource()->set_login("ubuntu");
  }

  RoleSnapshotHolder holder_;
  FakeClock clock_;
  pb::CheckAccessRequest access_;
};

TEST_F(PolicyEngineTest, WithoutHookTheRolesDecide) {
  PolicyEngine engine(&holder_, &clock_);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_TRUE(response.allowed());
}

TEST_F(PolicyEngineTest, CheckAccessIntoACallersReplyReplacesItsContents) {
  FakeHook hook(HookVerdict{false, "change freeze"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  pb::CheckAccessResponse reply;
  reply.set_allowed(true);
  reply.set_mfa_required(true);
  reply.mutable_explanation()->set_summary("stale");
  ASSERT_OK(engine.CheckAccess(access_, &reply));
  EXPECT_FALSE(reply.allowed());
  EXPECT_FALSE(reply.mfa_required());
  EXPECT_THAT(reply.explanation().summary(), HasSubstr("change freeze"));
}

TEST_F(PolicyEngineTest, HookAllowKeepsTheAllow) {
  FakeHook hook(HookVerdict{true, "fine"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_TRUE(response.allowed());
  EXPECT_EQ(hook.calls(), 1);
  EXPECT_EQ(hook.last_decision(), "check_access");
}

TEST_F(PolicyEngineTest, HookDenyTurnsAllowIntoDeny) {
  FakeHook hook(HookVerdict{false, "change freeze"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_FALSE(response.allowed());
  EXPECT_THAT(response.explanation().summary(),
              HasSubstr("denied: the external decision hook denied: change freeze"));
  EXPECT_THAT(response.explanation().summary(), HasSubstr("locally: allowed by role \"dev\""));
}

TEST_F(PolicyEngineTest, HookErrorFailsClosed) {
  FakeHook hook(absl::DeadlineExceededError("no answer within 500ms"));
  PolicyEngine engine(&holder_, &clock_, &hook);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_FALSE(response.allowed());
  EXPECT_THAT(response.explanation().summary(), HasSubstr("hook failed (DEADLINE_EXCEEDED"));
}

TEST_F(PolicyEngineTest, HookIsNotAskedWhenTheRolesDeny) {
  FakeHook hook(HookVerdict{true, ""});
  PolicyEngine engine(&holder_, &clock_, &hook);
  access_.mutable_resource()->set_login("root");
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_FALSE(response.allowed());
  EXPECT_EQ(hook.calls(), 0);
}

TEST_F(PolicyEngineTest, HookCannotAllowWhatTheRolesDeny) {
  FakeHook hook(HookVerdict{true, "allow everything"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  (*access_.mutable_resource()->mutable_labels())["env"] = "prod";
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_FALSE(response.allowed());
}

TEST_F(PolicyEngineTest, HookDenyOfARequestClearsItsTerms) {
  FakeHook hook(HookVerdict{false, "no"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  pb::CheckRequestRequest request;
  request.mutable_user()->set_name("alice");
  request.mutable_user()->mutable_expire_time()->set_seconds(kFarFuture);
  request.mutable_user()->add_roles("dev");
  request.add_requested_roles("prod-ro");
  ASSERT_OK_AND_ASSIGN(pb::CheckRequestResponse response, engine.CheckRequest(request));
  EXPECT_FALSE(response.allowed());
  EXPECT_THAT(response.thresholds(), IsEmpty());
  EXPECT_FALSE(response.has_max_duration());
  EXPECT_EQ(hook.last_decision(), "check_request");
}

TEST_F(PolicyEngineTest, HookAppliesToReviewsAndPermissions) {
  FakeHook hook(HookVerdict{false, "no"});
  PolicyEngine engine(&holder_, &clock_, &hook);
  pb::CheckReviewRequest review;
  review.mutable_reviewer()->set_name("bob");
  review.mutable_reviewer()->mutable_expire_time()->set_seconds(kFarFuture);
  review.mutable_reviewer()->add_roles("prod-ro");
  review.mutable_request()->set_user("alice");
  review.mutable_request()->add_roles("prod-ro");
  ASSERT_OK_AND_ASSIGN(pb::CheckReviewResponse review_response, engine.CheckReview(review));
  EXPECT_FALSE(review_response.allowed());
  EXPECT_EQ(hook.last_decision(), "check_review");

  pb::CheckPermissionRequest permission;
  permission.mutable_identity()->set_name("alice");
  permission.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
  permission.mutable_identity()->add_roles("dev");
  permission.set_resource("access_request");
  permission.set_verb("list");
  ASSERT_OK_AND_ASSIGN(pb::CheckPermissionResponse permission_response,
                       engine.CheckPermission(permission));
  EXPECT_FALSE(permission_response.allowed());
  EXPECT_EQ(hook.last_decision(), "check_permission");
  EXPECT_EQ(hook.calls(), 2);
}

TEST_F(PolicyEngineTest, ExpiredIdentityIsDeniedByTheClock) {
  PolicyEngine engine(&holder_, &clock_);
  access_.mutable_identity()->mutable_expire_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()) +
                                                                 60);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse before, engine.CheckAccess(access_));
  EXPECT_TRUE(before.allowed());
  clock_.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse after, engine.CheckAccess(access_));
  EXPECT_FALSE(after.allowed());
  EXPECT_THAT(after.explanation().summary(), HasSubstr("has expired"));
}

TEST_F(PolicyEngineTest, SeesANewSnapshotOnTheNextCall) {
  PolicyEngine engine(&holder_, &clock_);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse before, engine.CheckAccess(access_));
  EXPECT_TRUE(before.allowed());
  holder_.Set(RoleSnapshot::Empty());
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse after, engine.CheckAccess(access_));
  EXPECT_FALSE(after.allowed());
  EXPECT_THAT(after.explanation().summary(), HasSubstr("role \"dev\" does not exist"));
}

TEST_F(PolicyEngineTest, MalformedInputIsInvalidArgument) {
  PolicyEngine engine(&holder_, &clock_);
  access_.mutable_resource()->clear_login();
  EXPECT_THAT(engine.CheckAccess(access_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resource.login")));
}

}  // namespace
}  // namespace jit::policy

namespace jit::policy {
namespace {

// What the caller sent comes back quoted bounded: the first 128 bytes and the length, never
// the whole value (a 3 MB label value was quoted twice, a 6 MB reply).
TEST_F(PolicyEngineTest, HugeInputIsQuotedBoundedInExplanations) {
  PolicyEngine engine(&holder_, &clock_);
  const std::string huge(3 << 20, 'v');
  (*access_.mutable_resource()->mutable_labels())["env"] = huge;
  access_.mutable_resource()->set_login(huge);
  access_.mutable_resource()->set_name(huge);
  access_.mutable_identity()->set_name(huge);
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine.CheckAccess(access_));
  EXPECT_FALSE(response.allowed());
  EXPECT_LT(response.ByteSizeLong(), 4096u) << response.explanation().summary().substr(0, 512);
  EXPECT_THAT(response.explanation().summary(), HasSubstr("(3145728 bytes)"));

  // Unknown roles by the thousand: a few named, the rest counted.
  pb::ComputeCertParamsRequest params;
  *params.mutable_identity() = access_.identity();
  params.mutable_identity()->clear_roles();
  for (int i = 0; i < 10'000; ++i) {
    params.mutable_identity()->add_roles(absl::StrCat(std::string(1000, 'g'), i));
  }
  absl::StatusOr<pb::ComputeCertParamsResponse> cert = engine.ComputeCertParams(params);
  EXPECT_THAT(cert, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("and 9992 more")));
  EXPECT_LT(cert.status().message().size(), 4096u);

  pb::CheckPermissionRequest permission;
  *permission.mutable_identity() = access_.identity();
  permission.set_resource("role");
  permission.set_verb(huge);
  absl::StatusOr<pb::CheckPermissionResponse> verdict = engine.CheckPermission(permission);
  EXPECT_THAT(verdict, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown verb")));
  EXPECT_LT(verdict.status().message().size(), 1024u);
}

}  // namespace
}  // namespace jit::policy
