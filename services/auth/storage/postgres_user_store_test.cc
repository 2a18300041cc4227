// PostgresUserStore against a real PostgreSQL (tests/run.sh provides JIT_TEST_PG_URL).
#include "services/auth/storage/postgres_user_store.h"

#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/storage/postgres_rows.h"
#include "services/auth/storage/postgres_session_store.h"
#include "services/auth/testing/auth_database.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::AuthDatabaseTest;
using ::jit::auth::testing::TestEvent;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

UserRecord LocalUser(const std::string& name) {
  UserRecord r;
  r.profile.set_name(name);
  r.profile.add_roles("dev");
  r.profile.add_roles("reader");
  (*r.profile.mutable_traits())["logins"].add_values(name);
  (*r.profile.mutable_traits())["logins"].add_values("root");
  r.profile.set_origin("local");
  SetProtoTimestamp(kNow, r.profile.mutable_create_time());
  SetProtoTimestamp(kNow, r.profile.mutable_update_time());
  r.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  return r;
}

SessionRecord Session(const std::string& id, const std::string& user) {
  return {.id = id,
          .user = user,
          .auth_method = "local",
          .issue_time = kNow,
          .expire_time = kNow + absl::Hours(8)};
}

class PostgresUserStoreTest : public AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    store_ = std::make_unique<PostgresUserStore>(&pool(), kek_.get());
    sessions_ = std::make_unique<PostgresSessionStore>(&pool());
  }

  // Creates the session for its user as it is now (creating the user when missing).
  absl::Status CreateSession(const SessionRecord& session) {
    absl::StatusOr<std::optional<UserRecord>> user = store_->Get(session.user);
    if (!user.ok()) return user.status();
    if (!user->has_value()) {
      if (absl::Status s = store_->Create(LocalUser(session.user), TestEvent("auth.user.created"));
          !s.ok()) {
        return s;
      }
      user = store_->Get(session.user);
      if (!user.ok()) return user.status();
    }
    return sessions_->Create(session, (*user)->session_generation, TestEvent("auth.login"));
  }

  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  std::unique_ptr<PostgresUserStore> store_;
  std::unique_ptr<PostgresSessionStore> sessions_;
};

TEST_F(PostgresUserStoreTest, CreateThenGetRoundTripsEveryField) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK_AND_ASSIGN(std::optional<UserRecord> got, store_->Get("alice"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->profile.name(), "alice");
  EXPECT_THAT(got->profile.roles(), ElementsAre("dev", "reader"));
  EXPECT_THAT(got->profile.traits().at("logins").values(), ElementsAre("alice", "root"));
  EXPECT_EQ(got->profile.origin(), "local");
  EXPECT_EQ(got->profile.create_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(got->password_hash, LocalUser("alice").password_hash);
  EXPECT_FALSE(got->profile.totp_enabled());
  EXPECT_EQ(AuditCount("auth.user.created"), 1);
}

TEST_F(PostgresUserStoreTest, GetOfUnknownUserIsEmpty) {
  ASSERT_OK_AND_ASSIGN(std::optional<UserRecord> got, store_->Get("nobody"));
  EXPECT_FALSE(got.has_value());
}

TEST_F(PostgresUserStoreTest, DuplicateNameIsAlreadyExistsAlsoInAnotherCase) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  EXPECT_THAT(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->Create(LocalUser("Alice"), TestEvent("auth.user.created")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The failed creations left no audit event behind.
  EXPECT_EQ(AuditCount("auth.user.created"), 1);
}

TEST_F(PostgresUserStoreTest, ListPagesInNameOrder) {
  for (const char* name : {"carol", "alice", "bob", "Dave"}) {
    ASSERT_OK(store_->Create(LocalUser(name), TestEvent("auth.user.created")));
  }
  ASSERT_OK_AND_ASSIGN(auto first, store_->List("", 2));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].profile.name(), "Dave");  // byte order: upper case first
  EXPECT_EQ(first[1].profile.name(), "alice");
  ASSERT_OK_AND_ASSIGN(auto rest, store_->List("alice", 10));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].profile.name(), "bob");
  EXPECT_EQ(rest[1].profile.name(), "carol");
}

TEST_F(PostgresUserStoreTest, UpdateProfileReplacesRolesAndTraitsAndRevokesSessions) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK(CreateSession(Session("s1", "alice")));
  ASSERT_OK(CreateSession(Session("s2", "bob")));
  jit::auth::v1::User profile;
  profile.set_name("alice");
  profile.add_roles("dba");
  (*profile.mutable_traits())["db_users"].add_values("postgres");
  ASSERT_OK_AND_ASSIGN(UserRecord updated, store_->UpdateProfile(profile, kNow + absl::Minutes(1),
                                                                 TestEvent("auth.user.updated")));
  EXPECT_THAT(updated.profile.roles(), ElementsAre("dba"));
  EXPECT_EQ(updated.profile.traits().count("logins"), 0u);
  EXPECT_EQ(updated.profile.update_time().seconds(), absl::ToUnixSeconds(kNow) + 60);
  EXPECT_EQ(updated.password_hash, LocalUser("alice").password_hash);

  ASSERT_OK_AND_ASSIGN(auto s1, sessions_->Get("s1"));
  ASSERT_OK_AND_ASSIGN(auto s2, sessions_->Get("s2"));
  EXPECT_TRUE(s1->revoked_at.has_value());
  EXPECT_EQ(s1->revoked_by, "user:tester");
  EXPECT_FALSE(s2->revoked_at.has_value());
}

TEST_F(PostgresUserStoreTest, UpdateOfUnknownUserIsNotFound) {
  jit::auth::v1::User profile;
  profile.set_name("ghost");
  EXPECT_THAT(store_->UpdateProfile(profile, kNow, TestEvent("auth.user.updated")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AuditCount("auth.user.updated"), 0);
}

TEST_F(PostgresUserStoreTest, DeleteRemovesUserAndRevokesSessions) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK(CreateSession(Session("s1", "alice")));
  ASSERT_OK(store_->Delete("alice", kNow, TestEvent("auth.user.deleted")));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("alice"));
  EXPECT_FALSE(got.has_value());
  ASSERT_OK_AND_ASSIGN(auto s1, sessions_->Get("s1"));
  EXPECT_TRUE(s1->revoked_at.has_value());
  EXPECT_THAT(store_->Delete("alice", kNow, TestEvent("auth.user.deleted")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(AuditCount("auth.user.deleted"), 1);
}

TEST_F(PostgresUserStoreTest, SetPasswordHashKeepsOnlyTheNamedSession) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK(CreateSession(Session("mine", "alice")));
  ASSERT_OK(CreateSession(Session("other", "alice")));
  ASSERT_OK(store_->SetPasswordHash("alice", "$new", kNow, "mine", std::nullopt,
                                    TestEvent("auth.user.password_set")));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("alice"));
  EXPECT_EQ(got->password_hash, "$new");
  ASSERT_OK_AND_ASSIGN(auto mine, sessions_->Get("mine"));
  ASSERT_OK_AND_ASSIGN(auto other, sessions_->Get("other"));
  EXPECT_FALSE(mine->revoked_at.has_value());
  EXPECT_TRUE(other->revoked_at.has_value());
  EXPECT_THAT(store_->SetPasswordHash("ghost", "$x", kNow, "", std::nullopt, TestEvent("x")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresUserStoreTest, OwnPasswordChangeOverAnOlderGenerationChangesNothing) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK(CreateSession(Session("mine", "alice")));
  ASSERT_OK_AND_ASSIGN(auto checked, store_->Get("alice"));  // current password checked here
  ASSERT_OK(store_->SetPasswordHash("alice", "$admin", kNow, "", std::nullopt,
                                    TestEvent("auth.user.password_set")));
  EXPECT_THAT(store_->SetPasswordHash("alice", "$mine", kNow, "mine", checked->session_generation,
                                      TestEvent("auth.user.password_set")),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("alice"));
  EXPECT_EQ(got->password_hash, "$admin");
  EXPECT_EQ(AuditCount("auth.user.password_set"), 1);
  // At the current generation it applies.
  EXPECT_OK(store_->SetPasswordHash("alice", "$mine", kNow, "", got->session_generation,
                                    TestEvent("auth.user.password_set")));
  EXPECT_THAT(store_->SetPasswordHash("ghost", "$x", kNow, "", 1, TestEvent("x")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresUserStoreTest, RehashReplacesOnlyAnUnchangedHash) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  const std::string old_hash = LocalUser("alice").password_hash;
  ASSERT_OK(store_->RehashPassword("alice", "$not-the-current", "$lost"));
  ASSERT_OK_AND_ASSIGN(auto unchanged, store_->Get("alice"));
  EXPECT_EQ(unchanged->password_hash, old_hash);
  ASSERT_OK(store_->RehashPassword("alice", old_hash, "$rehashed"));
  ASSERT_OK_AND_ASSIGN(auto changed, store_->Get("alice"));
  EXPECT_EQ(changed->password_hash, "$rehashed");
}

TEST_F(PostgresUserStoreTest, TotpEnrollmentThenActivationSealsTheSecret) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  const SecretString secret{std::string("12345678901234567890")};
  ASSERT_OK(store_->PutTotpEnrollment("alice", secret, kNow + absl::Minutes(10),
                                      TestEvent("auth.totp.enroll")));
  ASSERT_OK_AND_ASSIGN(SecretString pending, store_->GetTotpEnrollment("alice", kNow));
  EXPECT_EQ(pending.Reveal(), secret.Reveal());
  ASSERT_OK(store_->ActivateTotp("alice", secret, kNow, TestEvent("auth.totp.confirmed")));

  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("alice"));
  EXPECT_TRUE(got->profile.totp_enabled());
  EXPECT_EQ(got->totp_secret.Reveal(), secret.Reveal());
  // At rest the secret is sealed, not stored as is.
  const std::string stored =
      QueryValue("SELECT encode(totp_secret, 'escape') FROM auth.users WHERE name = 'alice'");
  EXPECT_THAT(stored, Not(HasSubstr("12345678901234567890")));
  EXPECT_THAT(store_->GetTotpEnrollment("alice", kNow), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresUserStoreTest, ExpiredEnrollmentCannotBeActivated) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  const SecretString secret{std::string("12345678901234567890")};
  ASSERT_OK(store_->PutTotpEnrollment("alice", secret, kNow + absl::Minutes(10),
                                      TestEvent("auth.totp.enroll")));
  EXPECT_THAT(store_->GetTotpEnrollment("alice", kNow + absl::Minutes(11)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ActivateTotp("alice", secret, kNow + absl::Minutes(11),
                                   TestEvent("auth.totp.confirmed")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PostgresUserStoreTest, ReplacedEnrollmentCannotBeActivatedWithTheOldSecret) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK(store_->PutTotpEnrollment("alice", SecretString(std::string("first-secret-first!!")),
                                      kNow + absl::Minutes(10), TestEvent("auth.totp.enroll")));
  ASSERT_OK(store_->PutTotpEnrollment("alice", SecretString(std::string("second-secret-second")),
                                      kNow + absl::Minutes(10), TestEvent("auth.totp.enroll")));
  EXPECT_THAT(store_->ActivateTotp("alice", SecretString(std::string("first-secret-first!!")), kNow,
                                   TestEvent("auth.totp.confirmed")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("alice"));
  EXPECT_FALSE(got->profile.totp_enabled());
}

TEST_F(PostgresUserStoreTest, EnrollmentForUnknownUserIsNotFound) {
  EXPECT_THAT(store_->PutTotpEnrollment("ghost", SecretString(std::string("x")),
                                        kNow + absl::Minutes(1), TestEvent("auth.totp.enroll")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresUserStoreTest, SecretSealedUnderAnotherKekIsNotReadable) {
  UserRecord alice = LocalUser("alice");
  alice.profile.set_totp_enabled(true);
  alice.totp_secret = SecretString(std::string("12345678901234567890"));
  ASSERT_OK(store_->Create(alice, TestEvent("auth.user.created")));
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  PostgresUserStore other(&pool(), other_kek.get());
  EXPECT_THAT(other.Get("alice"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                           HasSubstr("another key-encryption key")));
}

TEST_F(PostgresUserStoreTest, SessionGenerationChangesWithEveryChangeThatEndsSessions) {
  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  ASSERT_OK_AND_ASSIGN(auto created, store_->Get("alice"));
  jit::auth::v1::User profile;
  profile.set_name("alice");
  profile.add_roles("dba");
  ASSERT_OK_AND_ASSIGN(UserRecord updated,
                       store_->UpdateProfile(profile, kNow, TestEvent("auth.user.updated")));
  EXPECT_NE(updated.session_generation, created->session_generation);
  ASSERT_OK(store_->SetPasswordHash("alice", "$new", kNow, "", std::nullopt,
                                    TestEvent("auth.user.password_set")));
  ASSERT_OK_AND_ASSIGN(auto password_set, store_->Get("alice"));
  EXPECT_NE(password_set->session_generation, updated.session_generation);
  // A rehash after login changes no credential: logins in progress stay valid.
  ASSERT_OK(store_->RehashPassword("alice", "$new", "$rehashed"));
  ASSERT_OK_AND_ASSIGN(auto rehashed, store_->Get("alice"));
  EXPECT_EQ(rehashed->password_hash, "$rehashed");
  EXPECT_EQ(rehashed->session_generation, password_set->session_generation);
}

TEST_F(PostgresUserStoreTest, SingleSignOnRefreshKeepsTheSessionGeneration) {
  UserRecord sso = LocalUser("carol@example.com");
  sso.password_hash.clear();
  sso.profile.set_origin("oidc:corp");
  ASSERT_OK_AND_ASSIGN(UserRecord first, store_->UpsertExternal(sso, TestEvent("auth.user.sso")));
  ASSERT_OK_AND_ASSIGN(auto stored, store_->Get("carol@example.com"));
  EXPECT_EQ(first.session_generation, stored->session_generation);
  sso.profile.clear_roles();
  sso.profile.add_roles("auditor");
  ASSERT_OK_AND_ASSIGN(UserRecord again, store_->UpsertExternal(sso, TestEvent("auth.user.sso")));
  EXPECT_THAT(again.profile.roles(), ElementsAre("auditor"));
  EXPECT_EQ(again.session_generation, first.session_generation);
}

TEST_F(PostgresUserStoreTest, UpsertExternalCreatesRefreshesAndNeverTakesALocalName) {
  UserRecord sso = LocalUser("carol@example.com");
  sso.password_hash.clear();
  sso.profile.set_origin("oidc:corp");
  ASSERT_OK(store_->UpsertExternal(sso, TestEvent("auth.user.sso")));
  sso.profile.clear_roles();
  sso.profile.add_roles("auditor");
  ASSERT_OK(store_->UpsertExternal(sso, TestEvent("auth.user.sso")));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("carol@example.com"));
  EXPECT_THAT(got->profile.roles(), ElementsAre("auditor"));
  EXPECT_EQ(got->profile.origin(), "oidc:corp");

  ASSERT_OK(store_->Create(LocalUser("alice"), TestEvent("auth.user.created")));
  UserRecord impostor = LocalUser("alice");
  impostor.profile.set_origin("oidc:corp");
  EXPECT_THAT(store_->UpsertExternal(impostor, TestEvent("auth.user.sso")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  impostor.profile.set_name("ALICE");
  EXPECT_THAT(store_->UpsertExternal(impostor, TestEvent("auth.user.sso")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto local, store_->Get("alice"));
  EXPECT_EQ(local->profile.origin(), "local");
  EXPECT_THAT(local->profile.roles(), ElementsAre("dev", "reader"));
}

}  // namespace
}  // namespace jit::auth
