// The small PostgreSQL stores against a real PostgreSQL: login failures (lockout), TOTP
// steps (replay), OIDC login states and the audit outbox.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/common/v1/audit_event.pb.h"
#include "pqxx/pqxx"
#include "services/auth/postgres_audit_outbox.h"
#include "services/auth/postgres_login_attempt_store.h"
#include "services/auth/postgres_oidc_state_store.h"
#include "services/auth/postgres_rows.h"
#include "services/auth/postgres_totp_step_store.h"
#include "services/auth/postgres_user_store.h"
#include "services/auth/testing/auth_database.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::AuthDatabaseTest;
using ::jit::auth::testing::TestEvent;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class PostgresLoginAttemptStoreTest : public AuthDatabaseTest {};

TEST_F(PostgresLoginAttemptStoreTest, FailuresCountUpWithinTheWindowAndRestartAfter) {
  PostgresLoginAttemptStore store(&pool());
  const absl::Duration window = absl::Minutes(15);
  ASSERT_OK_AND_ASSIGN(LoginFailures none, store.Get("alice"));
  EXPECT_EQ(none.count, 0);
  ASSERT_OK_AND_ASSIGN(LoginFailures one, store.RecordFailure("alice", kNow, window));
  EXPECT_EQ(one.count, 1);
  ASSERT_OK_AND_ASSIGN(LoginFailures two,
                       store.RecordFailure("alice", kNow + absl::Minutes(14), window));
  EXPECT_EQ(two.count, 2);
  EXPECT_EQ(two.last_failure, kNow + absl::Minutes(14));
  ASSERT_OK_AND_ASSIGN(LoginFailures restarted,
                       store.RecordFailure("alice", kNow + absl::Minutes(30), window));
  EXPECT_EQ(restarted.count, 1);
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 1);
  ASSERT_OK(store.Clear("alice"));
  ASSERT_OK_AND_ASSIGN(LoginFailures cleared, store.Get("alice"));
  EXPECT_EQ(cleared.count, 0);
}

TEST_F(PostgresLoginAttemptStoreTest, ConcurrentFailuresAreAllCounted) {
  PostgresLoginAttemptStore store(&pool());
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        EXPECT_OK(store.RecordFailure("mallory", kNow, absl::Minutes(15)).status());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("mallory"));
  EXPECT_EQ(got.count, 20);
}

TEST_F(PostgresLoginAttemptStoreTest, DeleteStaleForgetsOldRecords) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK(store.RecordFailure("old", kNow, absl::Minutes(15)).status());
  ASSERT_OK(store.RecordFailure("new", kNow + absl::Hours(1), absl::Minutes(15)).status());
  EXPECT_THAT(store.DeleteStale(kNow + absl::Minutes(30)), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(LoginFailures old, store.Get("old"));
  EXPECT_EQ(old.count, 0);
}

class PostgresTotpStepStoreTest : public AuthDatabaseTest {
 protected:
  void CreateUser(const std::string& name) {
    PostgresUserStore users(&pool(), nullptr);
    UserRecord r;
    r.profile.set_name(name);
    r.profile.set_origin("local");
    pg::SetTimestamp(kNow, r.profile.mutable_create_time());
    ASSERT_OK(users.Create(r, TestEvent("auth.user.created")));
  }
};

TEST_F(PostgresTotpStepStoreTest, StepsOnlyMoveForward) {
  CreateUser("alice");
  PostgresTotpStepStore store(&pool());
  ASSERT_OK(store.Advance("alice", 100));
  EXPECT_THAT(store.Advance("alice", 100), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store.Advance("alice", 99), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_OK(store.Advance("alice", 101));
}

TEST_F(PostgresTotpStepStoreTest, RacingReplicasAcceptAStepOnce) {
  CreateUser("alice");
  PostgresTotpStepStore store(&pool());
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (store.Advance("alice", 500).ok()) ++accepted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST_F(PostgresTotpStepStoreTest, UnknownUserIsNotFound) {
  PostgresTotpStepStore store(&pool());
  EXPECT_THAT(store.Advance("ghost", 1), StatusIs(absl::StatusCode::kNotFound));
}

class PostgresOidcStateStoreTest : public AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, KeyEncryptionKey::Generate());
  }
  static oidc::PendingOidcLogin Login(absl::Time expire) {
    return {.connector = "corp",
            .nonce = SecretString(std::string("nonce-value")),
            .pkce_verifier = SecretString(std::string("verifier-value")),
            .redirect_url = "http://127.0.0.1:5000/callback",
            .expire_time = expire};
  }
  std::unique_ptr<KeyEncryptionKey> kek_;
};

TEST_F(PostgresOidcStateStoreTest, TakeReturnsTheLoginOnceWithSecretsSealedAtRest) {
  PostgresOidcStateStore store(&pool(), kek_.get());
  ASSERT_OK(store.Put("hash1", Login(kNow + absl::Minutes(10)), kNow));
  EXPECT_THAT(QueryValue("SELECT encode(secrets, 'escape') FROM auth.oidc_states"),
              Not(HasSubstr("verifier-value")));
  EXPECT_THAT(store.ConnectorOf("hash1", kNow), IsOkAndHolds("corp"));
  ASSERT_OK_AND_ASSIGN(oidc::PendingOidcLogin got, store.Take("hash1", kNow));
  EXPECT_EQ(got.connector, "corp");
  EXPECT_EQ(got.nonce.Reveal(), "nonce-value");
  EXPECT_EQ(got.pkce_verifier.Reveal(), "verifier-value");
  EXPECT_EQ(got.redirect_url, "http://127.0.0.1:5000/callback");
  EXPECT_EQ(got.expire_time, kNow + absl::Minutes(10));
  EXPECT_THAT(store.Take("hash1", kNow), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.ConnectorOf("hash1", kNow), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresOidcStateStoreTest, ExpiredStateIsNotFoundAndGone) {
  PostgresOidcStateStore store(&pool(), kek_.get());
  ASSERT_OK(store.Put("hash1", Login(kNow + absl::Minutes(10)), kNow));
  EXPECT_THAT(store.Take("hash1", kNow + absl::Minutes(10)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_states"), "0");
}

TEST_F(PostgresOidcStateStoreTest, DuplicateKeyIsAlreadyExists) {
  PostgresOidcStateStore store(&pool(), kek_.get());
  ASSERT_OK(store.Put("hash1", Login(kNow + absl::Minutes(10)), kNow));
  EXPECT_THAT(store.Put("hash1", Login(kNow + absl::Minutes(10)), kNow),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresOidcStateStoreTest, FullStoreIsResourceExhaustedUntilEntriesExpire) {
  PostgresOidcStateStore store(&pool(), kek_.get(), /*capacity=*/2);
  ASSERT_OK(store.Put("a", Login(kNow + absl::Minutes(1)), kNow));
  ASSERT_OK(store.Put("b", Login(kNow + absl::Minutes(10)), kNow));
  EXPECT_THAT(store.Put("c", Login(kNow + absl::Minutes(10)), kNow),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(store.Put("c", Login(kNow + absl::Minutes(10)), kNow + absl::Minutes(2)));
  EXPECT_THAT(store.DeleteExpired(kNow + absl::Minutes(2)), IsOkAndHolds(1));
}

class PostgresAuditOutboxTest : public AuthDatabaseTest {};

TEST_F(PostgresAuditOutboxTest, AppendStoresTheEventForDelivery) {
  PostgresAuditOutbox outbox(&pool());
  AuditEvent event = TestEvent("auth.login.failed", kNow);
  event.set_outcome(AuditEvent::OUTCOME_FAILURE);
  ASSERT_OK(outbox.Append(event));
  EXPECT_EQ(AuditCount("auth.login.failed"), 1);
  EXPECT_EQ(QueryValue("SELECT id::text FROM auth.audit_outbox"), event.id());
  EXPECT_EQ(QueryValue("SELECT delivered_at IS NULL FROM auth.audit_outbox"), "t");
  // The stored bytes are the event itself.
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  const std::string bytes = pg::BytesOf(txn.exec("SELECT event FROM auth.audit_outbox")[0][0]);
  AuditEvent stored;
  ASSERT_TRUE(stored.ParseFromString(bytes));
  EXPECT_EQ(stored.type(), "auth.login.failed");
  EXPECT_EQ(stored.outcome(), AuditEvent::OUTCOME_FAILURE);
  EXPECT_EQ(stored.service(), "auth");
  // Ingest is idempotent by id: the same event twice is refused here too.
  EXPECT_THAT(outbox.Append(event), StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace jit::auth
