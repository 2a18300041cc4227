// The testkit's own behaviour, where a suite using it would not notice a fault: a service
// that ends before serving is reported at once with its reason, peers a test did not start
// are unreachable, the users file reaches jit-auth as written, a clean stop exits 0.
#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/service_process.h"

namespace jit::testkit {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class TestkitTest : public db::testing::PostgresTest {};

TEST(ServiceProcessTest, StartServingReportsAServiceThatEndsFirstWithItsReason) {
  const absl::Time start = absl::Now();
  EXPECT_THAT(ServiceProcess::StartServing(
                  {.service = "policy", .db_url = "postgresql://x@127.0.0.1:1/jit"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("jit-policy exited with 1 before serving"),
                             HasSubstr("jit-policy: database: cannot connect"))));
  // Noticed when it happened, not when the patience ran out.
  EXPECT_LT(absl::Now() - start, kStartupPatience / 2);
}

TEST(ServiceProcessTest, UnknownPeerIsRefused) {
  EXPECT_THAT(ServiceProcess::Start({.service = "policy", .peers = {{"billing", "x:1"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("billing")));
}

TEST_F(TestkitTest, PeersNotStartedByTheTestPointAtAClosedPort) {
  ASSERT_OK_AND_ASSIGN(
      auto policy,
      ServiceProcess::StartServing(
          {.service = "policy", .db_url = db().conninfo(), .peers = {{"audit", "localhost:7"}}}));
  std::string cmdline =
      jit::testing::ReadFileOrEmpty(absl::StrCat("/proc/", policy->process().pid(), "/cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  EXPECT_THAT(cmdline, AllOf(HasSubstr("--auth_addr=127.0.0.1:1 "),
                             HasSubstr("--audit_addr=localhost:7 "), Not(HasSubstr(":710"))));
  EXPECT_OK(policy->Stop());
  EXPECT_THAT(policy->WaitExit(absl::ZeroDuration()), IsOkAndHolds(0));
}

TEST_F(TestkitTest, AuthServerUsersLogInWithTheirRolesAndTraits) {
  ASSERT_OK_AND_ASSIGN(
      auto auth, AuthServer::StartServing({.db_url = db().conninfo(),
                                           .users = {{.name = "erin",
                                                      .roles = {"dev", "dba"},
                                                      .password = "erin's password, long",
                                                      .traits = {{"logins", {"erin", "e"}}}}}}));
  ASSERT_OK_AND_ASSIGN(const std::string token, auth->LoginToken("erin"));
  ASSERT_OK_AND_ASSIGN(common::v1::Identity erin, auth->WhoAmI(token));
  EXPECT_EQ(erin.name(), "erin");
  EXPECT_THAT(erin.roles(), ElementsAre("dev", "dba"));
  EXPECT_THAT(erin.traits().at("logins").values(), ElementsAre("erin", "e"));
  EXPECT_THAT(auth->LoginToken("mallory"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(auth->Login("erin", "not erin's password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(auth->Stop());
}

}  // namespace
}  // namespace jit::testkit
