#include "services/auth/user_administration.h"

#include <functional>
#include <utility>

#include "common/clock.h"
#include "common/crypto/base32.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/in_memory_login_attempt_store.h"
#include "services/auth/testing/in_memory_stores.h"
#include "services/auth/testing/in_memory_totp_step_store.h"

namespace jit::auth {
namespace {

using ::jit::audit::testing::InMemoryAuditOutbox;
using ::jit::auth::testing::FakePermissionChecker;
using ::jit::auth::testing::InMemoryLoginAttemptStore;
using ::jit::auth::testing::InMemorySessionStore;
using ::jit::auth::testing::InMemoryTotpStepStore;
using ::jit::auth::testing::InMemoryUserStore;
using ::jit::auth::v1::User;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kPassword[] = "correct horse battery";

// The login attempt records, with a hook run once right after the next read of a record
// (Get or Reserve): what happens there happens between an attempt's lockout check and its
// password hash.
class HookedAttemptStore final : public LoginAttemptStore {
 public:
  explicit HookedAttemptStore(LoginAttemptStore* inner) : inner_(inner) {}
  absl::StatusOr<LoginFailures> Get(std::string_view user) override {
    absl::StatusOr<LoginFailures> r = inner_->Get(user);
    RunHook();
    return r;
  }
  absl::StatusOr<AttemptReservation> Reserve(std::string_view user, absl::Time now,
                                             const LockoutPolicy& policy) override {
    absl::StatusOr<AttemptReservation> r = inner_->Reserve(user, now, policy);
    RunHook();
    return r;
  }
  absl::Status Refund(std::string_view user, const AttemptReservation& r) override {
    return inner_->Refund(user, r);
  }
  absl::Status Clear(std::string_view user) override { return inner_->Clear(user); }
  std::function<void()> after_next_read;

 private:
  void RunHook() {
    if (std::function<void()> hook = std::exchange(after_next_read, nullptr)) hook();
  }

  LoginAttemptStore* const inner_;
};

Identity Caller(const std::string& name, const std::string& session = "sess", bool mfa = false) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.set_session_id(session);
  id.set_mfa_verified(mfa);
  id.set_auth_method("local");
  return id;
}

User Profile(const std::string& name, std::vector<std::string> roles = {"dev"}) {
  User u;
  u.set_name(name);
  for (auto& r : roles) u.add_roles(r);
  (*u.mutable_traits())["logins"].add_values(name);
  return u;
}

SessionRecord Session(const std::string& id, const std::string& user, absl::Time now) {
  return {.id = id,
          .user = user,
          .auth_method = "local",
          .issue_time = now,
          .expire_time = now + absl::Hours(8)};
}

class UserAdministrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hasher_ = *PasswordHasher::Create({.memory_kib = 8, .iterations = 1});
    throttle_ = *LoginThrottle::Create({}, &hooked_attempts_, &clock_);
    admin_ = *UserAdministration::Create({}, {.users = &users_,
                                              .attempts = &attempts_,
                                              .throttle = throttle_.get(),
                                              .hasher = hasher_.get(),
                                              .totp = &totp_,
                                              .permissions = &permissions_,
                                              .hash_limiter = &limiter_,
                                              .audit = &audit_,
                                              .clock = &clock_});
    for (const char* verb : {"create", "read", "list", "update", "delete"}) {
      permissions_.Allow("root", "user", verb);
    }
    ASSERT_OK(
        admin_->EnsureUser(Profile("alice"), SecretString(std::string(kPassword)), {}).status());
  }

  jit::auth::v1::CreateUserRequest CreateRequest(const std::string& name,
                                                 const std::string& password = kPassword) {
    jit::auth::v1::CreateUserRequest r;
    *r.mutable_user() = Profile(name);
    r.set_password(password);
    return r;
  }

  // Stores a session of the user as they are now (a non-user gets a generation of its own).
  absl::Status AddSession(const SessionRecord& session) {
    absl::StatusOr<std::optional<UserRecord>> user = users_.Get(session.user);
    if (!user.ok()) return user.status();
    int64_t generation = -1;
    if (user->has_value()) {
      generation = (*user)->session_generation;
    } else {
      sessions_.SetUserGeneration(session.user, generation);
    }
    return sessions_.Create(session, generation, {});
  }

  bool Revoked(const std::string& session) {
    auto s = sessions_.Get(session);
    return s.ok() && s->has_value() && (*s)->revoked_at.has_value();
  }

  absl::Status CheckPassword(const std::string& user, const std::string& password) {
    auto record = *users_.Get(user);
    return hasher_->Verify(SecretString(password), record->password_hash);
  }

  FakeClock clock_;
  InMemoryAuditOutbox audit_;
  InMemorySessionStore sessions_{&audit_};
  InMemoryUserStore users_{&sessions_, &audit_};
  InMemoryLoginAttemptStore attempts_;
  HookedAttemptStore hooked_attempts_{&attempts_};
  InMemoryTotpStepStore steps_;
  TotpVerifier totp_{&clock_, &steps_};
  FakePermissionChecker permissions_;
  ConcurrencyLimiter limiter_{{.limit = 2}};
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<UserAdministration> admin_;
};

TEST_F(UserAdministrationTest, AdminCreatesAUserWithAHashedPassword) {
  ASSERT_OK_AND_ASSIGN(User created, admin_->CreateUser(Caller("root"), CreateRequest("bob"),
                                                        {.actor = "user:root"}));
  EXPECT_EQ(created.name(), "bob");
  EXPECT_EQ(created.origin(), "local");
  EXPECT_THAT(created.roles(), ElementsAre("dev"));
  EXPECT_GT(created.create_time().seconds(), 0);
  EXPECT_OK(CheckPassword("bob", kPassword));
  ASSERT_THAT(audit_.OfType("auth.user.created"), SizeIs(2));  // alice (bootstrap), bob
  EXPECT_EQ(audit_.OfType("auth.user.created")[1].actor(), "user:root");
}

TEST_F(UserAdministrationTest, CreateWithoutPermissionIsDeniedAndCreatesNothing) {
  EXPECT_THAT(admin_->CreateUser(Caller("alice"), CreateRequest("bob"), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(users_.Get("bob"), IsOkAndHolds(std::nullopt));
}

TEST_F(UserAdministrationTest, CreateChecksEveryField) {
  auto bad_name = CreateRequest("bad name");
  EXPECT_THAT(admin_->CreateUser(Caller("root"), bad_name, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user.name")));
  auto bad_role = CreateRequest("bob");
  bad_role.mutable_user()->add_roles("Not A Role");
  EXPECT_THAT(admin_->CreateUser(Caller("root"), bad_role, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user.roles[1]")));
  auto dup_role = CreateRequest("bob");
  dup_role.mutable_user()->add_roles("dev");
  EXPECT_THAT(admin_->CreateUser(Caller("root"), dup_role, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  auto bad_trait = CreateRequest("bob");
  (*bad_trait.mutable_user()->mutable_traits())["logins"].add_values("");
  EXPECT_THAT(admin_->CreateUser(Caller("root"), bad_trait, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("traits")));
  EXPECT_THAT(admin_->CreateUser(Caller("root"), CreateRequest("bob", "short"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  auto sso = CreateRequest("bob");
  sso.mutable_user()->set_origin("oidc:corp");
  EXPECT_THAT(admin_->CreateUser(Caller("root"), sso, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("origin")));
  EXPECT_EQ(permissions_.checks(), 0);  // refused before asking policy
}

TEST_F(UserAdministrationTest, CreateOfATakenNameIsAlreadyExists) {
  EXPECT_THAT(admin_->CreateUser(Caller("root"), CreateRequest("ALICE"), {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(UserAdministrationTest, CreateWithoutPasswordLeavesNoPassword) {
  ASSERT_OK(admin_->CreateUser(Caller("root"), CreateRequest("bob", ""), {}).status());
  ASSERT_OK_AND_ASSIGN(auto record, users_.Get("bob"));
  EXPECT_TRUE(record->password_hash.empty());
}

TEST_F(UserAdministrationTest, UsersReadThemselvesWithoutPolicy) {
  jit::auth::v1::GetUserRequest r;
  r.set_name("alice");
  ASSERT_OK_AND_ASSIGN(User me, admin_->GetUser(Caller("alice"), r));
  EXPECT_EQ(me.name(), "alice");
  EXPECT_FALSE(me.locked());
  EXPECT_EQ(permissions_.checks(), 0);
  r.set_name("root");
  EXPECT_THAT(admin_->GetUser(Caller("alice"), r), StatusIs(absl::StatusCode::kPermissionDenied));
  r.set_name("nobody");
  EXPECT_THAT(admin_->GetUser(Caller("alice"), r), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_->GetUser(Caller("root"), r), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UserAdministrationTest, LockedFlagFollowsTheLockout) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(throttle_->BeginAttempt("alice"));
  jit::auth::v1::GetUserRequest r;
  r.set_name("alice");
  ASSERT_OK_AND_ASSIGN(User locked, admin_->GetUser(Caller("root"), r));
  EXPECT_TRUE(locked.locked());
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(User unlocked, admin_->GetUser(Caller("root"), r));
  EXPECT_FALSE(unlocked.locked());
}

TEST_F(UserAdministrationTest, ListShowsWhichUsersAreLocked) {
  ASSERT_OK(admin_->CreateUser(Caller("root"), CreateRequest("bob", ""), {}).status());
  for (int i = 0; i < 5; ++i) ASSERT_OK(throttle_->BeginAttempt("bob"));
  ASSERT_OK(throttle_->BeginAttempt("alice"));  // one failure: not locked
  ASSERT_OK_AND_ASSIGN(auto list, admin_->ListUsers(Caller("root"), {}));
  ASSERT_THAT(list.users(), SizeIs(2));
  EXPECT_FALSE(list.users(0).locked());  // alice
  EXPECT_TRUE(list.users(1).locked());   // bob
}

TEST_F(UserAdministrationTest, ListPagesThroughAllUsers) {
  for (const char* name : {"bob", "carol", "dave"}) {
    ASSERT_OK(admin_->CreateUser(Caller("root"), CreateRequest(name, ""), {}).status());
  }
  jit::auth::v1::ListUsersRequest r;
  r.set_page_size(3);
  ASSERT_OK_AND_ASSIGN(auto first, admin_->ListUsers(Caller("root"), r));
  ASSERT_THAT(first.users(), SizeIs(3));
  EXPECT_EQ(first.users(0).name(), "alice");
  EXPECT_FALSE(first.next_page_token().empty());
  r.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto second, admin_->ListUsers(Caller("root"), r));
  ASSERT_THAT(second.users(), SizeIs(1));
  EXPECT_EQ(second.users(0).name(), "dave");
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(UserAdministrationTest, ListChecksPagingAndPermission) {
  jit::auth::v1::ListUsersRequest r;
  r.set_page_size(1001);
  EXPECT_THAT(admin_->ListUsers(Caller("root"), r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  r.set_page_size(0);
  r.set_page_token("!!!");
  EXPECT_THAT(admin_->ListUsers(Caller("root"), r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  r.clear_page_token();
  EXPECT_THAT(admin_->ListUsers(Caller("alice"), r), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(UserAdministrationTest, UpdateReplacesRolesAndEndsTheUsersSessions) {
  ASSERT_OK(AddSession(Session("alice-1", "alice", clock_.Now())));
  ASSERT_OK(AddSession(Session("root-1", "root", clock_.Now())));
  jit::auth::v1::UpdateUserRequest r;
  *r.mutable_user() = Profile("alice", {"dba"});
  ASSERT_OK_AND_ASSIGN(User updated, admin_->UpdateUser(Caller("root"), r, {.actor = "user:root"}));
  EXPECT_THAT(updated.roles(), ElementsAre("dba"));
  EXPECT_TRUE(Revoked("alice-1"));
  EXPECT_FALSE(Revoked("root-1"));
  // Nobody raises their own roles.
  *r.mutable_user() = Profile("alice", {"admin"});
  EXPECT_THAT(admin_->UpdateUser(Caller("alice"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  *r.mutable_user() = Profile("ghost");
  EXPECT_THAT(admin_->UpdateUser(Caller("root"), r, {}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UserAdministrationTest, UpdateEndsSessionsExpiredWithinTheRevocationGrace) {
  // Its token is still accepted within the verifiers' clock skew past exp.
  SessionRecord just_expired = Session("alice-1", "alice", clock_.Now() - absl::Hours(8));
  just_expired.expire_time = clock_.Now() - absl::Seconds(20);
  ASSERT_OK(AddSession(just_expired));
  SessionRecord long_expired = Session("alice-0", "alice", clock_.Now() - absl::Hours(8));
  long_expired.expire_time = clock_.Now() - kRevokedSessionGrace;
  ASSERT_OK(AddSession(long_expired));
  jit::auth::v1::UpdateUserRequest r;
  *r.mutable_user() = Profile("alice", {"dba"});
  ASSERT_OK(admin_->UpdateUser(Caller("root"), r, {.actor = "user:root"}).status());
  EXPECT_TRUE(Revoked("alice-1"));
  EXPECT_FALSE(Revoked("alice-0"));
}

TEST_F(UserAdministrationTest, DeleteEndsSessionsAndNeedsPermission) {
  ASSERT_OK(AddSession(Session("alice-1", "alice", clock_.Now())));
  jit::auth::v1::DeleteUserRequest r;
  r.set_name("alice");
  EXPECT_THAT(admin_->DeleteUser(Caller("alice"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(admin_->DeleteUser(Caller("root"), r, {}));
  EXPECT_TRUE(Revoked("alice-1"));
  EXPECT_THAT(users_.Get("alice"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(admin_->DeleteUser(Caller("root"), r, {}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UserAdministrationTest, UsersChangeTheirOwnPasswordWithTheCurrentOne) {
  ASSERT_OK(AddSession(Session("mine", "alice", clock_.Now())));
  ASSERT_OK(AddSession(Session("elsewhere", "alice", clock_.Now())));
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("a brand new passphrase");
  EXPECT_THAT(admin_->SetPassword(Caller("alice", "mine"), r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("current_password")));
  r.set_current_password("not the password");
  EXPECT_THAT(admin_->SetPassword(Caller("alice", "mine"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
  r.set_current_password(kPassword);
  ASSERT_OK(admin_->SetPassword(Caller("alice", "mine"), r, {}));
  EXPECT_OK(CheckPassword("alice", "a brand new passphrase"));
  EXPECT_FALSE(Revoked("mine"));
  EXPECT_TRUE(Revoked("elsewhere"));
  EXPECT_EQ(permissions_.checks(), 0);
}

TEST_F(UserAdministrationTest, GuessingTheCurrentPasswordLocksOut) {
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("a brand new passphrase");
  r.set_current_password("guess");
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {}),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  r.set_current_password(kPassword);
  EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("too many")));
}

TEST_F(UserAdministrationTest, RefusedCurrentPasswordsAndTheLockoutAreAudited) {
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("a brand new passphrase");
  r.set_current_password("guess");
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {.actor = "user:alice"}),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  const std::vector<audit::AuditEvent> refused = audit_.OfType("auth.password.check_failed");
  ASSERT_THAT(refused, SizeIs(6));
  EXPECT_EQ(refused[0].actor(), "user:alice");
  EXPECT_EQ(refused[0].target(), "user:alice");
  EXPECT_EQ(refused[0].outcome(), audit::AuditEvent::OUTCOME_FAILURE);
  EXPECT_EQ(refused[5].outcome(), audit::AuditEvent::OUTCOME_DENIED);  // refused while locked
  EXPECT_THAT(audit_.OfType("auth.user.locked"), SizeIs(1));
}

TEST_F(UserAdministrationTest, UncheckableCurrentPasswordCountsNoStrike) {
  // A stored hash this server cannot use (corrupted): no verdict on the guess.
  ASSERT_OK_AND_ASSIGN(auto record, users_.Get("alice"));
  ASSERT_TRUE(record.has_value());
  ASSERT_OK(users_.SetPasswordHash("alice", "$argon2id$v=19$broken", clock_.Now(), "", std::nullopt,
                                   audit::AuditEvent()));
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("a brand new passphrase");
  r.set_current_password(kPassword);
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {}),
                StatusIs(absl::StatusCode::kInternal, HasSubstr("cannot be checked")));
  }
  ASSERT_OK_AND_ASSIGN(LoginFailures failures, attempts_.Get("alice"));
  EXPECT_EQ(failures.count, 0);
  EXPECT_THAT(audit_.OfType("auth.password.check_failed"), IsEmpty());
}

TEST_F(UserAdministrationTest, ParallelCurrentPasswordGuessesCannotOutrunTheLockout) {
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("a brand new passphrase");
  r.set_current_password("guess");
  absl::Status sixth;
  // While one guess is being hashed, more arrive; the sixth is refused before hashing.
  hooked_attempts_.after_next_read = [&] {
    for (int i = 0; i < 4; ++i) {
      EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {}),
                  StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
    }
    jit::auth::v1::SetPasswordRequest right = r;
    right.set_current_password(kPassword);
    sixth = admin_->SetPassword(Caller("alice"), right, {});
  };
  EXPECT_THAT(admin_->SetPassword(Caller("alice"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
  EXPECT_THAT(sixth, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("too many")));
  EXPECT_OK(CheckPassword("alice", kPassword));
}

TEST_F(UserAdministrationTest, OwnPasswordChangeNeverOverwritesAResetMadeDuringIt) {
  // An administrator resets the password while the user's change (say, an intruder's with
  // a stolen session and the old password) is checking the current one.
  jit::auth::v1::SetPasswordRequest reset;
  reset.set_name("alice");
  reset.set_new_password("reset by the admin!");
  hooked_attempts_.after_next_read = [&] {
    ASSERT_OK(admin_->SetPassword(Caller("root"), reset, {.actor = "user:root"}));
  };
  jit::auth::v1::SetPasswordRequest own;
  own.set_name("alice");
  own.set_current_password(kPassword);
  own.set_new_password("the intruder's choice");
  EXPECT_THAT(admin_->SetPassword(Caller("alice"), own, {}), StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(CheckPassword("alice", "reset by the admin!"));
  EXPECT_THAT(audit_.OfType("auth.user.password_set"), SizeIs(1));
}

TEST_F(UserAdministrationTest, AdminSetsAnotherUsersPasswordEndingAllTheirSessions) {
  ASSERT_OK(AddSession(Session("alice-1", "alice", clock_.Now())));
  jit::auth::v1::SetPasswordRequest r;
  r.set_name("alice");
  r.set_new_password("reset by the admin!");
  EXPECT_THAT(admin_->SetPassword(Caller("bob"), r, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(admin_->SetPassword(Caller("root"), r, {}));
  EXPECT_OK(CheckPassword("alice", "reset by the admin!"));
  EXPECT_TRUE(Revoked("alice-1"));
  r.set_new_password("short");
  EXPECT_THAT(admin_->SetPassword(Caller("root"), r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("new_password")));
}

TEST_F(UserAdministrationTest, TotpEnrollmentIsActiveOnlyAfterConfirmation) {
  jit::auth::v1::EnrollTotpRequest enroll;  // "" = the caller
  ASSERT_OK_AND_ASSIGN(auto started, admin_->EnrollTotp(Caller("alice"), enroll, {}));
  EXPECT_THAT(started.otpauth_uri(), StartsWith("otpauth://totp/jit-access:alice?secret="));
  ASSERT_OK_AND_ASSIGN(std::string secret, crypto::Base32Decode(started.secret_base32()));
  ASSERT_OK_AND_ASSIGN(auto before, users_.Get("alice"));
  EXPECT_FALSE(before->profile.totp_enabled());

  jit::auth::v1::ConfirmTotpRequest confirm;
  confirm.set_code("000000");
  EXPECT_THAT(admin_->ConfirmTotp(Caller("alice"), confirm, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("code")));
  confirm.set_code(*TotpCode(SecretString(secret), TotpStep(clock_.Now())));
  ASSERT_OK(admin_->ConfirmTotp(Caller("alice"), confirm, {}));
  ASSERT_OK_AND_ASSIGN(auto after, users_.Get("alice"));
  EXPECT_TRUE(after->profile.totp_enabled());
  EXPECT_EQ(after->totp_secret.Reveal(), secret);
  EXPECT_THAT(audit_.OfType("auth.totp.enabled"), SizeIs(1));
}

TEST_F(UserAdministrationTest, ConfirmWithoutEnrollmentOrAfterExpiryIsFailedPrecondition) {
  jit::auth::v1::ConfirmTotpRequest confirm;
  confirm.set_code("123456");
  EXPECT_THAT(admin_->ConfirmTotp(Caller("alice"), confirm, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(admin_->EnrollTotp(Caller("alice"), {}, {}).status());
  clock_.Advance(absl::Minutes(11));
  EXPECT_THAT(admin_->ConfirmTotp(Caller("alice"), confirm, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(UserAdministrationTest, ReplacingAnEnabledTotpNeedsAnMfaSession) {
  ASSERT_OK(admin_
                ->EnsureUser(Profile("bob"), SecretString(std::string(kPassword)),
                             SecretString(std::string("12345678901234567890")))
                .status());
  EXPECT_THAT(admin_->EnrollTotp(Caller("bob", "s", /*mfa=*/false), {}, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("already enabled")));
  EXPECT_OK(admin_->EnrollTotp(Caller("bob", "s", /*mfa=*/true), {}, {}).status());
}

// An administrator never sees nor sets another user's second factor (with the secret they
// could log in as the user); they may only remove it.
TEST_F(UserAdministrationTest, NobodyEnrolsSomeoneElsesTotp) {
  jit::auth::v1::EnrollTotpRequest enroll;
  enroll.set_name("alice");
  EXPECT_THAT(admin_->EnrollTotp(Caller("bob"), enroll, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_->EnrollTotp(Caller("root", "s", /*mfa=*/true), enroll, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ResetTotp")));
  jit::auth::v1::ConfirmTotpRequest confirm;
  confirm.set_name("alice");
  confirm.set_code("123456");
  EXPECT_THAT(admin_->ConfirmTotp(Caller("root", "s", /*mfa=*/true), confirm, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(UserAdministrationTest, AdminResetsAnotherUsersTotpAndTheirSessionsEnd) {
  ASSERT_OK(admin_
                ->EnsureUser(Profile("bob"), SecretString(std::string(kPassword)),
                             SecretString(std::string("12345678901234567890")))
                .status());
  ASSERT_OK(AddSession(Session("bob-1", "bob", clock_.Now())));
  jit::auth::v1::ResetTotpRequest reset;
  reset.set_name("bob");
  EXPECT_THAT(admin_->ResetTotp(Caller("alice"), reset, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_->ResetTotp(Caller("bob", "s", /*mfa=*/true), reset, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("EnrollTotp")));
  ASSERT_OK(admin_->ResetTotp(Caller("root"), reset, {}));
  auto after = *users_.Get("bob");
  EXPECT_FALSE(after->profile.totp_enabled());
  EXPECT_TRUE(after->totp_secret.empty());
  EXPECT_TRUE(Revoked("bob-1"));
  EXPECT_THAT(audit_.OfType("auth.totp.reset"), SizeIs(1));
  // bob enrols again from a password-only session.
  EXPECT_OK(admin_->EnrollTotp(Caller("bob"), {}, {}).status());
  reset.set_name("nobody");
  EXPECT_THAT(admin_->ResetTotp(Caller("root"), reset, {}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UserAdministrationTest, SingleSignOnUsersKeepTheProvidersCredentialsAndRoles) {
  UserRecord sso;
  sso.profile = Profile("carol@example.com");
  sso.profile.set_origin("oidc:corp");
  ASSERT_OK(users_.UpsertExternal(sso, {}));
  jit::auth::v1::UpdateUserRequest update;
  *update.mutable_user() = Profile("carol@example.com", {"admin"});
  EXPECT_THAT(admin_->UpdateUser(Caller("root"), update, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("identity provider")));
  jit::auth::v1::SetPasswordRequest password;
  password.set_name("carol@example.com");
  password.set_new_password("some long password");
  EXPECT_THAT(admin_->SetPassword(Caller("root"), password, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(admin_->EnrollTotp(Caller("carol@example.com"), {}, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(UserAdministrationTest, PolicyDownIsUnavailable) {
  permissions_.SetFailure(absl::UnavailableError("policy service unavailable"));
  EXPECT_THAT(admin_->ListUsers(Caller("root"), {}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(admin_->CreateUser(Caller("root"), CreateRequest("bob"), {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(users_.Get("bob"), IsOkAndHolds(std::nullopt));
}

TEST_F(UserAdministrationTest, ServicesAreNotUserAdministrators) {
  Identity service;
  service.set_kind(Identity::KIND_SERVICE);
  service.set_name("ca");
  EXPECT_THAT(admin_->ListUsers(service, {}), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(UserAdministrationTest, EnsureUserNeverOverwrites) {
  EXPECT_THAT(admin_->EnsureUser(Profile("alice", {"admin"}),
                                 SecretString(std::string("another password")), {}),
              IsOkAndHolds(false));
  ASSERT_OK_AND_ASSIGN(auto alice, users_.Get("alice"));
  EXPECT_THAT(alice->profile.roles(), ElementsAre("dev"));
  EXPECT_OK(CheckPassword("alice", kPassword));
  EXPECT_THAT(admin_->EnsureUser(Profile("bob"), {}, {}), IsOkAndHolds(true));
}

}  // namespace
}  // namespace jit::auth
