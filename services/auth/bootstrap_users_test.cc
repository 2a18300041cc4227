#include "services/auth/bootstrap_users.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/in_memory_login_attempt_store.h"
#include "services/auth/testing/in_memory_stores.h"
#include "services/auth/testing/in_memory_totp_step_store.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::InMemoryLoginAttemptStore;
using ::jit::auth::testing::InMemoryTotpStepStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string TempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp ? tmp : "/tmp";
}

void WriteSecret(const std::string& path, const std::string& content) {
  std::ofstream(path) << content << "\n";
  ::chmod(path.c_str(), 0600);
}

TEST(ParseBootstrapUsersTest, ReadsEveryFieldAndResolvesRelativePaths) {
  ASSERT_OK_AND_ASSIGN(auto users, ParseBootstrapUsers(R"(
users:
  - name: alice
    roles: [dev]
    traits: {logins: [alice, ubuntu], db_users: alice}
    password_file: alice.password
    totp_secret_file: /abs/alice.totp
  - name: bob
)",
                                                       "users.yaml", "/etc/jit"));
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].profile.name(), "alice");
  EXPECT_THAT(users[0].profile.roles(), ElementsAre("dev"));
  EXPECT_THAT(users[0].profile.traits().at("logins").values(), ElementsAre("alice", "ubuntu"));
  EXPECT_THAT(users[0].profile.traits().at("db_users").values(), ElementsAre("alice"));
  EXPECT_EQ(users[0].password_file, "/etc/jit/alice.password");
  EXPECT_EQ(users[0].totp_secret_file, "/abs/alice.totp");
  EXPECT_EQ(users[1].password_file, "");
}

TEST(ParseBootstrapUsersTest, ErrorsNameFileLineAndField) {
  EXPECT_THAT(ParseBootstrapUsers("users:\n  - name: alice\n    rolez: [dev]\n", "u.yaml", "."),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("u.yaml:3: users[0].rolez: unknown field")));
  EXPECT_THAT(ParseBootstrapUsers("users:\n  - roles: [dev]\n", "u.yaml", "."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("users[0].name: required")));
  EXPECT_THAT(ParseBootstrapUsers("users:\n  - name: a\n  - name: a\n", "u.yaml", "."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  EXPECT_THAT(ParseBootstrapUsers("users: [\n", "u.yaml", "."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid YAML")));
  EXPECT_THAT(ParseBootstrapUsers("people: []\n", "u.yaml", "."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("people")));
}

class ApplyBootstrapUsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hasher_ = *PasswordHasher::Create({.memory_kib = 8, .iterations = 1});
    throttle_ = *LoginThrottle::Create({}, &attempts_, &clock_);
    admin_ = *UserAdministration::Create({}, {.users = &users_,
                                              .attempts = &attempts_,
                                              .throttle = throttle_.get(),
                                              .hasher = hasher_.get(),
                                              .totp = &totp_,
                                              .permissions = &permissions_,
                                              .hash_limiter = &limiter_,
                                              .audit = &audit_,
                                              .clock = &clock_});
  }

  FakeClock clock_;
  audit::testing::InMemoryAuditOutbox audit_;
  testing::InMemorySessionStore sessions_{&audit_};
  testing::InMemoryUserStore users_{&sessions_, &audit_};
  InMemoryLoginAttemptStore attempts_;
  InMemoryTotpStepStore steps_;
  TotpVerifier totp_{&clock_, &steps_};
  testing::FakePermissionChecker permissions_;
  ConcurrencyLimiter limiter_{{.limit = 1}};
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<UserAdministration> admin_;
};

TEST_F(ApplyBootstrapUsersTest, CreatesMissingUsersOnceWithTheirSecrets) {
  const std::string dir = TempDir();
  WriteSecret(dir + "/alice.password", "alice's long password");
  WriteSecret(dir + "/alice.totp", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  ASSERT_OK_AND_ASSIGN(auto spec, ParseBootstrapUsers(R"(
users:
  - {name: alice, roles: [dev], password_file: alice.password, totp_secret_file: alice.totp}
  - {name: admin, roles: [admin]}
)",
                                                      "u.yaml", dir));
  ASSERT_OK_AND_ASSIGN(auto created, ApplyBootstrapUsers(spec, *admin_));
  EXPECT_THAT(created, ElementsAre("alice", "admin"));
  ASSERT_OK_AND_ASSIGN(auto alice, users_.Get("alice"));
  EXPECT_OK(
      hasher_->Verify(SecretString(std::string("alice's long password")), alice->password_hash));
  EXPECT_TRUE(alice->profile.totp_enabled());
  EXPECT_EQ(alice->totp_secret.Reveal(), "12345678901234567890");
  ASSERT_OK_AND_ASSIGN(auto again, ApplyBootstrapUsers(spec, *admin_));
  EXPECT_THAT(again, IsEmpty());
}

TEST_F(ApplyBootstrapUsersTest, UnreadableOrOpenSecretFileNamesTheUser) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/open.password") << "readable by all\n";
  ::chmod((dir + "/open.password").c_str(), 0644);
  ASSERT_OK_AND_ASSIGN(
      auto spec, ParseBootstrapUsers("users:\n  - {name: carol, password_file: open.password}\n",
                                     "u.yaml", dir));
  EXPECT_THAT(ApplyBootstrapUsers(spec, *admin_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"carol\"")));
}

TEST_F(ApplyBootstrapUsersTest, ShortPasswordIsRefused) {
  const std::string dir = TempDir();
  WriteSecret(dir + "/short.password", "short");
  ASSERT_OK_AND_ASSIGN(
      auto spec, ParseBootstrapUsers("users:\n  - {name: dave, password_file: short.password}\n",
                                     "u.yaml", dir));
  EXPECT_THAT(ApplyBootstrapUsers(spec, *admin_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
}

}  // namespace
}  // namespace jit::auth
