#include "services/auth/local_authenticator.h"

#include <functional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/in_memory_login_attempt_store.h"
#include "services/auth/testing/in_memory_totp_step_store.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::InMemoryLoginAttemptStore;
using ::jit::auth::testing::InMemoryTotpStepStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class FakeCredentialStore final : public LocalCredentialStore {
 public:
  absl::StatusOr<std::optional<LocalCredentials>> Find(std::string_view user) override {
    ++finds;
    // Runs while this attempt is in flight (its hash not computed yet).
    if (std::function<void()> hook = std::exchange(after_next_find, nullptr)) hook();
    if (unavailable) return absl::UnavailableError("credential store down (test)");
    const auto it = users.find(std::string(user));
    if (it == users.end()) return std::optional<LocalCredentials>();
    return std::optional<LocalCredentials>(it->second);
  }
  absl::flat_hash_map<std::string, LocalCredentials> users;
  int finds = 0;
  bool unavailable = false;
  std::function<void()> after_next_find;
};

class DownTotpStepStore final : public TotpStepStore {
 public:
  absl::Status Advance(std::string_view, int64_t) override {
    return absl::UnavailableError("step store down (test)");
  }
};

SecretString Pw(const char* s) { return SecretString(std::string(s)); }

class LocalAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hasher_ = *PasswordHasher::Create({.memory_kib = 1024, .iterations = 1});
    throttle_ = *LoginThrottle::Create({}, &attempts_, &clock_);
    users_.users["alice"] = LocalCredentials{.password_hash = *hasher_->Hash(Pw("s3cret"))};
    users_.users["bob"] = LocalCredentials{
        .password_hash = *hasher_->Hash(Pw("b0b")), .totp_enabled = true, .totp_secret = secret_};
    auth_ = std::make_unique<LocalAuthenticator>(&users_, hasher_.get(), throttle_.get(), &totp_);
  }
  std::string BobCode() { return *TotpCode(secret_, TotpStep(clock_.Now())); }

  FakeClock clock_{absl::FromUnixSeconds(1'700'000'025)};
  SecretString secret_{std::string("12345678901234567890")};
  FakeCredentialStore users_;
  InMemoryLoginAttemptStore attempts_;
  InMemoryTotpStepStore steps_;
  TotpVerifier totp_{&clock_, &steps_};
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<LocalAuthenticator> auth_;
};

TEST_F(LocalAuthenticatorTest, RightPasswordLogsIn) {
  ASSERT_OK_AND_ASSIGN(LocalLoginResult r, auth_->Authenticate("alice", Pw("s3cret"), ""));
  EXPECT_FALSE(r.mfa_verified);
  EXPECT_FALSE(r.needs_rehash);
}

TEST_F(LocalAuthenticatorTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  const absl::Status wrong = auth_->Authenticate("alice", Pw("guess"), "").status();
  const absl::Status unknown = auth_->Authenticate("mallory", Pw("guess"), "").status();
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_EQ(wrong, unknown);
}

TEST_F(LocalAuthenticatorTest, FiveFailuresLockEvenTheRightPasswordOut) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(auth_->Authenticate("alice", Pw("guess"), ""),
                StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  }
  const int finds_before = users_.finds;
  EXPECT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("retry in 60 s")));
  EXPECT_EQ(users_.finds, finds_before);  // refused before looking at the password
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""), IsOk());
}

TEST_F(LocalAuthenticatorTest, ParallelGuessesCannotOutrunTheLockout) {
  // While one guess is being hashed, more arrive: together they get five verdicts, and the
  // sixth is refused before its password is looked at.
  absl::Status sixth;
  users_.after_next_find = [&] {
    for (int i = 0; i < 4; ++i) {
      EXPECT_THAT(auth_->Authenticate("alice", Pw("guess"), ""),
                  StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
    }
    sixth = auth_->Authenticate("alice", Pw("s3cret"), "").status();
  };
  EXPECT_THAT(auth_->Authenticate("alice", Pw("guess"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_THAT(sixth, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too many")));
  EXPECT_EQ(users_.finds, 5);
}

TEST_F(LocalAuthenticatorTest, CredentialStoreOutageLeavesNoStrike) {
  for (int i = 0; i < 4; ++i) (void)auth_->Authenticate("alice", Pw("guess"), "");
  users_.unavailable = true;
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(attempts_.Get("alice")->count, 4);
  users_.unavailable = false;
  EXPECT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""), IsOk());
}

TEST_F(LocalAuthenticatorTest, TotpStoreOutageLeavesNoStrike) {
  DownTotpStepStore down;
  TotpVerifier totp(&clock_, &down);
  LocalAuthenticator auth(&users_, hasher_.get(), throttle_.get(), &totp);
  EXPECT_THAT(auth.Authenticate("bob", Pw("b0b"), BobCode()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(attempts_.Get("bob")->count, 0);
}

TEST_F(LocalAuthenticatorTest, UnknownUsersLockTheSameWay) {
  for (int i = 0; i < 5; ++i) (void)auth_->Authenticate("mallory", Pw("guess"), "");
  EXPECT_THAT(auth_->Authenticate("mallory", Pw("guess"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "too many failed login attempts; retry in 60 s"));
}

TEST_F(LocalAuthenticatorTest, TotpUserNeedsAValidUnusedCode) {
  EXPECT_THAT(auth_->Authenticate("bob", Pw("b0b"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code required"));
  EXPECT_THAT(auth_->Authenticate("bob", Pw("b0b"), "000000"),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"));
  const std::string code = BobCode();
  ASSERT_OK_AND_ASSIGN(LocalLoginResult r, auth_->Authenticate("bob", Pw("b0b"), code));
  EXPECT_TRUE(r.mfa_verified);
  EXPECT_THAT(auth_->Authenticate("bob", Pw("b0b"), code),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code already used"));
}

TEST_F(LocalAuthenticatorTest, WrongPasswordWithRightCodeDoesNotBurnTheCode) {
  const std::string code = BobCode();
  EXPECT_THAT(auth_->Authenticate("bob", Pw("nope"), code),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_THAT(auth_->Authenticate("bob", Pw("b0b"), code), IsOk());
}

TEST_F(LocalAuthenticatorTest, OldHashParametersAskForRehash) {
  auto stronger = *PasswordHasher::Create({.memory_kib = 2048, .iterations = 1});
  LocalAuthenticator auth(&users_, stronger.get(), throttle_.get(), &totp_);
  ASSERT_OK_AND_ASSIGN(LocalLoginResult r, auth.Authenticate("alice", Pw("s3cret"), ""));
  EXPECT_TRUE(r.needs_rehash);
}

TEST_F(LocalAuthenticatorTest, UserWithoutPasswordCannotLogIn) {
  users_.users["carol"] = LocalCredentials{};
  EXPECT_THAT(auth_->Authenticate("carol", Pw(""), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
}

TEST_F(LocalAuthenticatorTest, CorruptStoredHashAnswersLikeAWrongPassword) {
  users_.users["dave"] = LocalCredentials{.password_hash = "$argon2id$garbage"};
  EXPECT_THAT(auth_->Authenticate("dave", Pw("x"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
}

TEST_F(LocalAuthenticatorTest, SuccessClearsEarlierFailures) {
  for (int i = 0; i < 4; ++i) (void)auth_->Authenticate("alice", Pw("guess"), "");
  ASSERT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""), IsOk());
  for (int i = 0; i < 4; ++i) (void)auth_->Authenticate("alice", Pw("guess"), "");
  EXPECT_THAT(auth_->Authenticate("alice", Pw("s3cret"), ""), IsOk());
}

}  // namespace
}  // namespace jit::auth
