// The example roles of the local constellation (deploy/local/examples/roles, loaded by
// deploy/local/up.sh through --roles_dir) load and mean what their comments say.
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/policy_engine.h"
#include "services/policy/role_directory.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy {
namespace {

// Identities carry an expire_time (one without is refused); this one is far ahead of every
// test clock.
constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::testing::UnorderedElementsAre;

constexpr char kDir[] = "deploy/local/examples/roles";

Identity Person(const std::string& name, std::vector<std::string> roles) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.mutable_expire_time()->set_seconds(kFarFuture);
  for (auto& r : roles) id.add_roles(r);
  (*id.mutable_traits())["logins"].add_values(name);
  return id;
}

class ExampleRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto roles, LoadRoleDirectory(kDir));
    names_.clear();
    for (const auto& r : roles) names_.push_back(r.metadata().name());
    ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create(roles, 1));
    holder_.Set(snapshot);
  }

  std::vector<std::string> names_;
  FakeClock clock_;
  RoleSnapshotHolder holder_;
  PolicyEngine engine_{&holder_, &clock_};
};

TEST_F(ExampleRolesTest, AllFourLoad) {
  EXPECT_THAT(names_, UnorderedElementsAre("admin", "dba", "dev", "developer-read-only-jit"));
}

TEST_F(ExampleRolesTest, DevMayRequestTheJitRoleWithAReasonForUpToAnHour) {
  pb::CheckRequestRequest request;
  *request.mutable_user() = Person("alice", {"dev"});
  request.add_requested_roles("developer-read-only-jit");
  request.set_reason("INC-42: slow queries");
  request.mutable_requested_duration()->set_seconds(2 * 3600);
  ASSERT_OK_AND_ASSIGN(pb::CheckRequestResponse response, engine_.CheckRequest(request));
  EXPECT_TRUE(response.allowed()) << response.explanation().summary();
  EXPECT_EQ(response.max_duration().seconds(), 3600);
  EXPECT_EQ(response.request_ttl().seconds(), 4 * 3600);
  ASSERT_EQ(response.thresholds_size(), 1);
  EXPECT_EQ(response.thresholds(0).thresholds(0).name(), "dba-approval");

  request.clear_reason();
  ASSERT_OK_AND_ASSIGN(response, engine_.CheckRequest(request));
  EXPECT_FALSE(response.allowed());
}

TEST_F(ExampleRolesTest, DbaReviewsItAndCountsTowardsTheThreshold) {
  pb::CheckReviewRequest review;
  *review.mutable_reviewer() = Person("dora", {"dba"});
  review.mutable_request()->set_user("alice");
  review.mutable_request()->add_roles("developer-read-only-jit");
  review.mutable_request()->set_reason("INC-42");
  // The request carries the thresholds CheckRequest gave it.
  pb::CheckRequestRequest request;
  *request.mutable_user() = Person("alice", {"dev"});
  request.add_requested_roles("developer-read-only-jit");
  request.set_reason("INC-42");
  ASSERT_OK_AND_ASSIGN(pb::CheckRequestResponse terms, engine_.CheckRequest(request));
  *review.mutable_request()->mutable_thresholds() = terms.thresholds();
  ASSERT_OK_AND_ASSIGN(pb::CheckReviewResponse response, engine_.CheckReview(review));
  EXPECT_TRUE(response.allowed()) << response.explanation().summary();
  ASSERT_EQ(response.matching_thresholds_size(), 1);
  EXPECT_EQ(response.matching_thresholds(0).thresholds(0).name(), "dba-approval");

  *review.mutable_reviewer() = Person("bob", {"dev"});
  ASSERT_OK_AND_ASSIGN(response, engine_.CheckReview(review));
  EXPECT_FALSE(response.allowed());
}

TEST_F(ExampleRolesTest, GrantedJitRoleReachesProductionAsDevopsWithMfa) {
  pb::CheckAccessRequest access;
  *access.mutable_identity() = Person("alice", {"dev", "developer-read-only-jit"});
  access.mutable_identity()->set_mfa_verified(true);
  access.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
  (*access.mutable_resource()->mutable_labels())["env"] = "production";
  access.mutable_resource()->set_login("devops");
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response, engine_.CheckAccess(access));
  EXPECT_TRUE(response.allowed()) << response.explanation().summary();

  *access.mutable_identity() = Person("alice", {"dev"});
  ASSERT_OK_AND_ASSIGN(response, engine_.CheckAccess(access));
  EXPECT_FALSE(response.allowed());
}

TEST_F(ExampleRolesTest, AdminMayManageRolesAndDevMayNot) {
  pb::CheckPermissionRequest permission;
  *permission.mutable_identity() = Person("ada", {"admin"});
  permission.mutable_identity()->set_mfa_verified(true);
  permission.set_resource("role");
  permission.set_verb("delete");
  ASSERT_OK_AND_ASSIGN(pb::CheckPermissionResponse response, engine_.CheckPermission(permission));
  EXPECT_TRUE(response.allowed());
  *permission.mutable_identity() = Person("alice", {"dev"});
  ASSERT_OK_AND_ASSIGN(response, engine_.CheckPermission(permission));
  EXPECT_FALSE(response.allowed());
}

// The example admin role says require_mfa: a password-only admin session administers nothing.
TEST_F(ExampleRolesTest, AdminWithoutMfaMayNotAdminister) {
  pb::CheckPermissionRequest permission;
  *permission.mutable_identity() = Person("ada", {"admin"});
  permission.set_resource("user");
  permission.set_verb("create");
  ASSERT_OK_AND_ASSIGN(pb::CheckPermissionResponse response, engine_.CheckPermission(permission));
  EXPECT_FALSE(response.allowed());
  EXPECT_THAT(response.explanation().summary(), ::testing::HasSubstr("requires MFA"));
}

}  // namespace
}  // namespace jit::policy
