// The small PostgreSQL stores against a real PostgreSQL: login failures (lockout), TOTP
// steps (replay), used OIDC login states and the audit outbox.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/audit/testing/outbox_table.h"
#include "common/clock.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/common/v1/audit_event.pb.h"
#include "pqxx/pqxx"
#include "prometheus/registry.h"
#include "services/auth/maintenance.h"
#include "services/auth/service_name.h"
#include "services/auth/storage/postgres_login_attempt_store.h"
#include "services/auth/storage/postgres_oidc_used_state_store.h"
#include "services/auth/storage/postgres_rows.h"
#include "services/auth/storage/postgres_session_store.h"
#include "services/auth/storage/postgres_totp_step_store.h"
#include "services/auth/storage/postgres_user_store.h"
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

class PostgresLoginAttemptStoreTest : public AuthDatabaseTest {
 protected:
  const LockoutPolicy policy_;  // 5 failures, 15 min window, 1 min first lock
};

TEST_F(PostgresLoginAttemptStoreTest, ReservationsCountUpWithinTheWindowAndRestartAfter) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK_AND_ASSIGN(LoginFailures none, store.Get("alice"));
  EXPECT_EQ(none.count, 0);
  ASSERT_OK_AND_ASSIGN(AttemptReservation one, store.Reserve("alice", kNow, policy_));
  EXPECT_TRUE(one.reserved);
  EXPECT_EQ(one.failures.count, 1);
  ASSERT_OK_AND_ASSIGN(AttemptReservation two,
                       store.Reserve("alice", kNow + absl::Minutes(14), policy_));
  EXPECT_EQ(two.failures.count, 2);
  EXPECT_EQ(two.failures.last_failure, kNow + absl::Minutes(14));
  EXPECT_EQ(two.series, one.series);
  EXPECT_EQ(two.previous_last_failure, kNow);
  ASSERT_OK_AND_ASSIGN(AttemptReservation restarted,
                       store.Reserve("alice", kNow + absl::Minutes(30), policy_));
  EXPECT_EQ(restarted.failures.count, 1);
  EXPECT_NE(restarted.series, one.series);
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 1);
  ASSERT_OK(store.Clear("alice"));
  ASSERT_OK_AND_ASSIGN(LoginFailures cleared, store.Get("alice"));
  EXPECT_EQ(cleared.count, 0);
}

TEST_F(PostgresLoginAttemptStoreTest, GetManyReturnsTheRecordsOfTheNamesThatHaveOne) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK(store.Reserve("alice", kNow, policy_));
  ASSERT_OK(store.Reserve("alice", kNow + absl::Minutes(1), policy_));
  ASSERT_OK(store.Reserve("o'brien", kNow, policy_));
  ASSERT_OK_AND_ASSIGN(auto records, store.GetMany({"alice", "bob", "o'brien"}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records["alice"].count, 2);
  EXPECT_EQ(records["alice"].last_failure, kNow + absl::Minutes(1));
  EXPECT_EQ(records["o'brien"].count, 1);
  ASSERT_OK_AND_ASSIGN(auto none, store.GetMany({}));
  EXPECT_TRUE(none.empty());
}

TEST_F(PostgresLoginAttemptStoreTest, LockedNameIsRefusedWithoutCounting) {
  PostgresLoginAttemptStore store(&pool());
  for (int i = 0; i < 5; ++i) ASSERT_OK(store.Reserve("alice", kNow, policy_));
  ASSERT_OK_AND_ASSIGN(AttemptReservation refused,
                       store.Reserve("alice", kNow + absl::Seconds(59), policy_));
  EXPECT_FALSE(refused.reserved);
  EXPECT_EQ(refused.failures.count, 5);
  EXPECT_EQ(refused.failures.last_failure, kNow);
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 5);
  ASSERT_OK_AND_ASSIGN(AttemptReservation after,
                       store.Reserve("alice", kNow + absl::Minutes(1), policy_));
  EXPECT_TRUE(after.reserved);
  EXPECT_EQ(after.failures.count, 6);
}

TEST_F(PostgresLoginAttemptStoreTest, ConcurrentReservationsAdmitNoMoreThanTheLimit) {
  // Replicas reserving attempts for one name at once: exactly max_failures get through.
  PostgresLoginAttemptStore store(&pool());
  std::atomic<int> reserved{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 6; ++j) {
        absl::StatusOr<AttemptReservation> r = store.Reserve("mallory", kNow, policy_);
        EXPECT_OK(r.status());
        if (r.ok()) ++(r->reserved ? reserved : refused);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(reserved.load(), 5);
  EXPECT_EQ(refused.load(), 13);
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("mallory"));
  EXPECT_EQ(got.count, 5);
}

TEST_F(PostgresLoginAttemptStoreTest, ReservationWaitsForAnotherInProgressAndSeesItsCount) {
  // Another replica's reservation holds the row (four failures so far) and is about to count
  // the fifth: a reservation arriving now must wait for it, then find the name locked.
  PostgresLoginAttemptStore store(&pool());
  for (int i = 0; i < 4; ++i) ASSERT_OK(store.Reserve("alice", kNow, policy_));
  std::thread second;
  absl::StatusOr<AttemptReservation> result;
  ASSERT_OK(db::RunInTransaction(pool(), [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec("SELECT failures FROM auth.login_failures WHERE user_name = 'alice' FOR UPDATE");
    second = std::thread([&] { result = store.Reserve("alice", kNow, policy_); });
    // Count the fifth only once the second reservation is blocked on the row (bounded).
    EXPECT_TRUE(WaitForALockWaiter());
    txn.exec("UPDATE auth.login_failures SET failures = 5 WHERE user_name = 'alice'");
    return absl::OkStatus();
  }));
  second.join();
  ASSERT_OK(result.status());
  EXPECT_FALSE(result->reserved);
  EXPECT_EQ(result->failures.count, 5);
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 5);
}

TEST_F(PostgresLoginAttemptStoreTest, ConcurrentReservationsOfANewNameAreAllCounted) {
  PostgresLoginAttemptStore store(&pool());
  const LockoutPolicy lenient{.max_failures = 100};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        absl::StatusOr<AttemptReservation> r = store.Reserve("mallory", kNow, lenient);
        EXPECT_OK(r.status());
        EXPECT_TRUE(r.ok() && r->reserved);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("mallory"));
  EXPECT_EQ(got.count, 15);
}

TEST_F(PostgresLoginAttemptStoreTest, RefundTakesBackOneFailureAndItsTime) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK(store.Reserve("alice", kNow, policy_));
  ASSERT_OK_AND_ASSIGN(AttemptReservation outage,
                       store.Reserve("alice", kNow + absl::Minutes(1), policy_));
  ASSERT_OK(store.Refund("alice", outage));
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 1);
  EXPECT_EQ(got.last_failure, kNow);
  // The only failure of its run: the record goes.
  ASSERT_OK_AND_ASSIGN(AttemptReservation only, store.Reserve("bob", kNow, policy_));
  ASSERT_OK(store.Refund("bob", only));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.login_failures WHERE user_name = 'bob'"), "0");
}

TEST_F(PostgresLoginAttemptStoreTest, RefundKeepsTheFailuresCountedSince) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK(store.Reserve("alice", kNow, policy_));
  ASSERT_OK_AND_ASSIGN(AttemptReservation outage,
                       store.Reserve("alice", kNow + absl::Seconds(1), policy_));
  ASSERT_OK(store.Reserve("alice", kNow + absl::Seconds(2), policy_));
  ASSERT_OK(store.Refund("alice", outage));
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 2);
  EXPECT_EQ(got.last_failure, kNow + absl::Seconds(2));
}

TEST_F(PostgresLoginAttemptStoreTest, RefundNeverTakesAFailureOfALaterRun) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK_AND_ASSIGN(AttemptReservation outage, store.Reserve("alice", kNow, policy_));
  ASSERT_OK(store.Clear("alice"));  // another attempt succeeded meanwhile
  for (int i = 0; i < 5; ++i) ASSERT_OK(store.Reserve("alice", kNow, policy_));
  ASSERT_OK(store.Refund("alice", outage));
  ASSERT_OK_AND_ASSIGN(LoginFailures got, store.Get("alice"));
  EXPECT_EQ(got.count, 5);
}

TEST_F(PostgresLoginAttemptStoreTest, DeleteStaleForgetsOldRecords) {
  PostgresLoginAttemptStore store(&pool());
  ASSERT_OK(store.Reserve("old", kNow, policy_));
  ASSERT_OK(store.Reserve("new", kNow + absl::Hours(1), policy_));
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
    SetProtoTimestamp(kNow, r.profile.mutable_create_time());
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

class PostgresOidcUsedStateStoreTest : public AuthDatabaseTest {};

TEST_F(PostgresOidcUsedStateStoreTest, SecondMarkOfALoginIdIsAlreadyExists) {
  PostgresOidcUsedStateStore store(&pool());
  ASSERT_OK(store.MarkUsed("0123456789abcdef", kNow + absl::Minutes(10)));
  EXPECT_THAT(store.MarkUsed("0123456789abcdef", kNow + absl::Minutes(10)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_OK(store.MarkUsed("fedcba9876543210", kNow + absl::Minutes(10)));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_used_states"), "2");
}

TEST_F(PostgresOidcUsedStateStoreTest, IsUsedOnlyAfterMarkUsed) {
  PostgresOidcUsedStateStore store(&pool());
  EXPECT_THAT(store.IsUsed("0123456789abcdef"), IsOkAndHolds(false));
  ASSERT_OK(store.MarkUsed("0123456789abcdef", kNow));
  EXPECT_THAT(store.IsUsed("0123456789abcdef"), IsOkAndHolds(true));
}

TEST_F(PostgresOidcUsedStateStoreTest, ConcurrentMarksOfOneLoginIdAdmitExactlyOne) {
  // Replicas completing the same states at once: each id is accepted by exactly one.
  PostgresOidcUsedStateStore store(&pool());
  constexpr int kIds = 25;
  constexpr int kThreads = 4;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kIds; ++i) {
        const absl::Status s =
            store.MarkUsed(absl::StrCat("login-id-", absl::Dec(i, absl::kZeroPad7)), kNow);
        if (s.ok()) {
          ++accepted;
        } else {
          EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), kIds);
  EXPECT_EQ(refused.load(), kIds * (kThreads - 1));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_used_states"), absl::StrCat(kIds));
}

TEST_F(PostgresOidcUsedStateStoreTest, DeleteExpiredRemovesOnlyRowsExpiredBefore) {
  PostgresOidcUsedStateStore store(&pool());
  ASSERT_OK(store.MarkUsed("expired-login-id", kNow - absl::Seconds(1)));
  ASSERT_OK(store.MarkUsed("current-login-id", kNow));
  EXPECT_THAT(store.DeleteExpired(kNow), IsOkAndHolds(1));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_used_states"), "1");
  EXPECT_THAT(store.MarkUsed("current-login-id", kNow), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresOidcUsedStateStoreTest, MaintenanceDeletesUsedStatesPastTheirExpiryAndGrace) {
  PostgresOidcUsedStateStore store(&pool());
  PostgresSessionStore sessions(&pool());
  FakeClock clock(kNow);
  ASSERT_OK(store.MarkUsed("long-expired-id!", kNow - kUsedOidcStateGrace - absl::Seconds(1)));
  ASSERT_OK(store.MarkUsed("just-expired-id!", kNow - absl::Seconds(1)));
  ASSERT_OK(store.MarkUsed("live-login-id!!!", kNow + absl::Minutes(10)));
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  Maintenance maintenance({}, &sessions, &metrics, {UsedOidcStatesCleanup(&store)}, &clock);
  maintenance.RunOnce(/*with_cleanup=*/true);
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_used_states"), "2");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.oidc_used_states WHERE login_id = "
                       "'long-expired-id!'::bytea"),
            "0");
}

TEST_F(PostgresOidcUsedStateStoreTest, OldStateTableIsGone) {
  EXPECT_EQ(QueryValue("SELECT to_regclass('auth.oidc_states') IS NULL"), "t");
}

class PostgresAuditOutboxTest : public AuthDatabaseTest {};

TEST_F(PostgresAuditOutboxTest, AppendStoresTheEventForDelivery) {
  audit::PostgresAuditOutbox outbox(&pool(), kAuthService);
  audit::AuditEvent event = TestEvent("auth.login.failed", kNow);
  event.set_outcome(audit::AuditEvent::OUTCOME_FAILURE);
  ASSERT_OK(outbox.Append(event));
  EXPECT_EQ(AuditCount("auth.login.failed"), 1);
  EXPECT_EQ(QueryValue("SELECT id::text FROM auth.audit_outbox"), event.id());
  EXPECT_EQ(QueryValue("SELECT delivered_at IS NULL FROM auth.audit_outbox"), "t");
  // The stored bytes are the event itself.
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  const std::string bytes = db::BytesOf(txn.exec("SELECT event FROM auth.audit_outbox")[0][0]);
  audit::AuditEvent stored;
  ASSERT_TRUE(stored.ParseFromString(bytes));
  EXPECT_EQ(stored.type(), "auth.login.failed");
  EXPECT_EQ(stored.outcome(), audit::AuditEvent::OUTCOME_FAILURE);
  EXPECT_EQ(stored.service(), "auth");
  // Ingest is idempotent by id: the same event twice is refused here too.
  EXPECT_THAT(outbox.Append(event), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresAuditOutboxTest, TheOutboxIsTheKitsTable) {
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  const std::string shape = audit::testing::DescribeOutboxTable(txn, kAuthService);
  EXPECT_NE(shape, "");
  EXPECT_EQ(shape, audit::testing::KitOutboxTable(db().conninfo()));
}

}  // namespace
}  // namespace jit::auth
