// PostgresSessionStore against a real PostgreSQL: sessions, revocation cursors and the
// revocation feed's complete / incremental answers.
#include "services/auth/storage/postgres_session_store.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/pg_transaction.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/auth/storage/postgres_rows.h"
#include "services/auth/storage/postgres_user_store.h"
#include "services/auth/testing/auth_database.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::AuthDatabaseTest;
using ::jit::auth::testing::TestEvent;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

SessionRecord Session(const std::string& id, const std::string& user,
                      absl::Duration ttl = absl::Hours(8)) {
  return {.id = id,
          .user = user,
          .auth_method = "oidc:corp",
          .mfa = true,
          .issue_time = kNow,
          .expire_time = kNow + ttl};
}

std::vector<std::string> Ids(const RevocationUpdate& update) {
  std::vector<std::string> ids;
  for (const RevokedSession& s : update.sessions) ids.push_back(s.session_id);
  return ids;
}

class PostgresSessionStoreTest : public AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PostgresSessionStore>(&pool());
    users_ = std::make_unique<PostgresUserStore>(&pool(), nullptr);
  }

  // The user's current session generation; creates the (local, passwordless) user first
  // when there is none.
  int64_t Generation(const std::string& user) {
    absl::StatusOr<std::optional<UserRecord>> found = users_->Get(user);
    EXPECT_OK(found.status());
    if (found.ok() && found->has_value()) return (*found)->session_generation;
    UserRecord r;
    r.profile.set_name(user);
    r.profile.set_origin("local");
    SetProtoTimestamp(kNow, r.profile.mutable_create_time());
    EXPECT_OK(users_->Create(r, TestEvent("auth.user.created")));
    found = users_->Get(user);
    return found.ok() && found->has_value() ? (*found)->session_generation : -1;
  }

  // Creates the session for its user as it is now.
  absl::Status CreateSession(const SessionRecord& session) {
    return store_->Create(session, Generation(session.user), TestEvent("auth.login"));
  }

  std::unique_ptr<PostgresSessionStore> store_;
  std::unique_ptr<PostgresUserStore> users_;
};

TEST_F(PostgresSessionStoreTest, CreateThenGetRoundTrips) {
  ASSERT_OK(CreateSession(Session("s1", "alice")));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(got->auth_method, "oidc:corp");
  EXPECT_TRUE(got->mfa);
  EXPECT_EQ(got->issue_time, kNow);
  EXPECT_EQ(got->expire_time, kNow + absl::Hours(8));
  EXPECT_FALSE(got->revoked_at.has_value());
  EXPECT_EQ(AuditCount("auth.login"), 1);
  ASSERT_OK_AND_ASSIGN(auto missing, store_->Get("nope"));
  EXPECT_FALSE(missing.has_value());
}

TEST_F(PostgresSessionStoreTest, DuplicateIdIsAlreadyExists) {
  ASSERT_OK(CreateSession(Session("s1", "alice")));
  EXPECT_THAT(CreateSession(Session("s1", "bob")), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresSessionStoreTest, SessionAfterAPasswordChangeIsRefused) {
  const int64_t read_by_login = Generation("alice");
  ASSERT_OK(users_->SetPasswordHash("alice", "$new", kNow, "", std::nullopt,
                                    TestEvent("auth.user.password_set")));
  EXPECT_THAT(store_->Create(Session("s1", "alice"), read_by_login, TestEvent("auth.login")),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(AuditCount("auth.login"), 0);
}

TEST_F(PostgresSessionStoreTest, SessionAfterARoleChangeIsRefused) {
  const int64_t read_by_login = Generation("alice");
  jit::auth::v1::User profile;
  profile.set_name("alice");
  profile.add_roles("admin");
  ASSERT_OK(users_->UpdateProfile(profile, kNow, TestEvent("auth.user.updated")));
  EXPECT_THAT(store_->Create(Session("s1", "alice"), read_by_login, TestEvent("auth.login")),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  EXPECT_FALSE(got.has_value());
}

TEST_F(PostgresSessionStoreTest, SessionAfterDeletionIsRefusedAlsoOnceTheNameIsTakenAgain) {
  const int64_t read_by_login = Generation("alice");
  ASSERT_OK(users_->Delete("alice", kNow, TestEvent("auth.user.deleted")));
  EXPECT_THAT(store_->Create(Session("s1", "alice"), read_by_login, TestEvent("auth.login")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_NE(Generation("alice"), read_by_login);  // created again: a generation of its own
  EXPECT_THAT(store_->Create(Session("s1", "alice"), read_by_login, TestEvent("auth.login")),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  EXPECT_FALSE(got.has_value());
}

TEST_F(PostgresSessionStoreTest, SessionOfAnUnknownUserIsRefused) {
  EXPECT_THAT(store_->Create(Session("s1", "ghost"), 1, TestEvent("auth.login")),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(PostgresSessionStoreTest, SessionInsertWaitingForAPasswordChangeIsRefused) {
  // The change's transaction has updated the user row and not committed yet when the login
  // stores its session: the insert waits for the row, then sees the new generation.
  const int64_t read_by_login = Generation("alice");
  std::thread login;
  absl::Status created;
  ASSERT_OK(db::RunInTransaction(pool(), [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec(
        "UPDATE auth.users SET password_hash = '$new', "
        "session_generation = nextval('auth.user_session_generation') WHERE name = 'alice'");
    pg::RevokeUserSessions(txn, "alice", "", "user:admin", kNow);
    login = std::thread([&] {
      created = store_->Create(Session("s1", "alice"), read_by_login, TestEvent("auth.login"));
    });
    // Commit only once the insert is blocked on the row (bounded, not timed).
    EXPECT_TRUE(WaitForALockWaiter());
    return absl::OkStatus();
  }));
  login.join();
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  EXPECT_FALSE(got.has_value());
}

TEST_F(PostgresSessionStoreTest, LoginsRacingAPasswordChangeLeaveNoLiveSessionBehind) {
  // Logins that read the user before the change keep storing sessions while it commits:
  // each either comes first (and is revoked by the change) or is refused.
  const int64_t read_by_login = Generation("alice");
  std::atomic<int> stored{0};
  std::atomic<bool> changed{false};
  std::vector<std::thread> logins;
  for (int w = 0; w < 3; ++w) {
    logins.emplace_back([&, w] {
      int after_change = 0;
      for (int i = 0; after_change < 20; ++i) {
        if (changed.load()) ++after_change;
        absl::Status s = store_->Create(Session(absl::StrCat("w", w, "-", i), "alice"),
                                        read_by_login, TestEvent("auth.login"));
        if (absl::IsAborted(s)) return;
        EXPECT_OK(s);
        ++stored;
      }
    });
  }
  while (stored.load() < 10) std::this_thread::yield();
  ASSERT_OK(users_->SetPasswordHash("alice", "$new", kNow, "", std::nullopt,
                                    TestEvent("auth.user.password_set")));
  changed = true;
  for (auto& t : logins) t.join();
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.sessions WHERE user_name = 'alice' AND "
                       "revoked_at IS NULL"),
            "0");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.sessions"), std::to_string(stored.load()));
}

TEST_F(PostgresSessionStoreTest, RevokeIsIdempotentAndUnknownIsNotFound) {
  ASSERT_OK(CreateSession(Session("s1", "alice")));
  ASSERT_OK(store_->Revoke("s1", "user:alice", kNow + absl::Minutes(1), TestEvent("auth.logout")));
  ASSERT_OK(store_->Revoke("s1", "user:admin", kNow + absl::Minutes(2), TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(auto got, store_->Get("s1"));
  EXPECT_EQ(got->revoked_at, kNow + absl::Minutes(1));
  EXPECT_EQ(got->revoked_by, "user:alice");
  EXPECT_EQ(AuditCount("auth.logout"), 1);
  EXPECT_THAT(store_->Revoke("nope", "user:x", kNow, TestEvent("auth.logout")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresSessionStoreTest, FirstSyncIsCompleteThenIncremental) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_OK(CreateSession(Session(id, "alice")));
  }
  ASSERT_OK(store_->Revoke("a", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate first, store_->ListRevoked(0, kNow));
  EXPECT_TRUE(first.complete);
  EXPECT_THAT(Ids(first), ElementsAre("a"));
  EXPECT_EQ(first.sessions[0].expire_time, kNow + absl::Hours(8));

  ASSERT_OK_AND_ASSIGN(RevocationUpdate nothing_new, store_->ListRevoked(first.cursor, kNow));
  EXPECT_FALSE(nothing_new.complete);
  EXPECT_THAT(nothing_new.sessions, IsEmpty());
  EXPECT_EQ(nothing_new.cursor, first.cursor);

  ASSERT_OK(store_->Revoke("c", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate next, store_->ListRevoked(first.cursor, kNow));
  EXPECT_FALSE(next.complete);
  EXPECT_THAT(Ids(next), ElementsAre("c"));
  EXPECT_GT(next.cursor, first.cursor);
}

TEST_F(PostgresSessionStoreTest, CursorAheadOfTheStoreGetsTheCompleteList) {
  ASSERT_OK(CreateSession(Session("a", "alice")));
  ASSERT_OK(store_->Revoke("a", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate update, store_->ListRevoked(1'000'000, kNow));
  EXPECT_TRUE(update.complete);
  EXPECT_THAT(Ids(update), ElementsAre("a"));
}

TEST_F(PostgresSessionStoreTest, ExpiredRevocationsAreLeftOut) {
  ASSERT_OK(CreateSession(Session("short", "alice", absl::Minutes(5))));
  ASSERT_OK(CreateSession(Session("long", "alice")));
  ASSERT_OK(store_->Revoke("short", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK(store_->Revoke("long", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate update, store_->ListRevoked(0, kNow + absl::Minutes(10)));
  EXPECT_THAT(Ids(update), ElementsAre("long"));
}

TEST_F(PostgresSessionStoreTest, RevocationsStayListedForTheGracePastExpiry) {
  // Verifiers accept a token up to their clock skew past exp: its revocation must still be
  // published then, in the complete list and incrementally.
  ASSERT_OK(CreateSession(Session("short", "alice", absl::Minutes(5))));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate start, store_->ListRevoked(0, kNow));
  ASSERT_OK(store_->Revoke("short", "user:alice", kNow, TestEvent("auth.logout")));
  const absl::Time exp = kNow + absl::Minutes(5);
  for (absl::Time t : {exp + absl::Seconds(30), exp + kRevokedSessionGrace - absl::Seconds(1)}) {
    ASSERT_OK_AND_ASSIGN(RevocationUpdate complete, store_->ListRevoked(0, t));
    EXPECT_THAT(Ids(complete), ElementsAre("short")) << t;
    ASSERT_OK_AND_ASSIGN(RevocationUpdate incremental, store_->ListRevoked(start.cursor, t));
    EXPECT_THAT(Ids(incremental), ElementsAre("short")) << t;
  }
  ASSERT_OK_AND_ASSIGN(RevocationUpdate later, store_->ListRevoked(0, exp + kRevokedSessionGrace));
  EXPECT_THAT(Ids(later), IsEmpty());
}

TEST_F(PostgresSessionStoreTest, UserWideRevocationReachesSessionsWithinTheGracePastExpiry) {
  // Expired 30 s ago (its token is still accepted within the verifiers' clock skew), and
  // expired longer ago than the grace.
  ASSERT_OK(CreateSession(Session("recent", "alice", absl::Minutes(5))));
  ASSERT_OK(CreateSession(Session("old", "alice", absl::Minutes(1))));
  const absl::Time now = kNow + absl::Minutes(5) + absl::Seconds(30);
  ASSERT_OK(db::RunInTransaction(pool(), [&](pqxx::transaction_base& txn) -> absl::Status {
    EXPECT_EQ(pg::RevokeUserSessions(txn, "alice", "", "user:admin", now), 1);
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto recent, store_->Get("recent"));
  EXPECT_TRUE(recent->revoked_at.has_value());
  ASSERT_OK_AND_ASSIGN(auto old, store_->Get("old"));
  EXPECT_FALSE(old->revoked_at.has_value());
  ASSERT_OK_AND_ASSIGN(RevocationUpdate update, store_->ListRevoked(0, now));
  EXPECT_THAT(Ids(update), ElementsAre("recent"));
}

TEST_F(PostgresSessionStoreTest, UserWideRevocationsTakeCursorsToo) {
  for (const char* id : {"a1", "a2", "b1"}) {
    ASSERT_OK(CreateSession(Session(id, id[0] == 'a' ? "alice" : "bob")));
  }
  ASSERT_OK_AND_ASSIGN(RevocationUpdate before, store_->ListRevoked(0, kNow));
  ASSERT_OK(db::RunInTransaction(pool(), [&](pqxx::transaction_base& txn) -> absl::Status {
    EXPECT_EQ(pg::RevokeUserSessions(txn, "alice", "", "user:admin", kNow), 2);
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate after, store_->ListRevoked(before.cursor, kNow));
  EXPECT_THAT(Ids(after), UnorderedElementsAre("a1", "a2"));
  EXPECT_EQ(after.cursor, before.cursor + 2);
}

TEST_F(PostgresSessionStoreTest, ConcurrentRevocationsAreNeverSkippedByAReader) {
  constexpr int kSessions = 40;
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_OK(CreateSession(Session(absl::StrCat("s", i), "alice")));
  }
  // One revocation first, so that the reader's cursor is past 0 (0 asks for everything).
  ASSERT_OK(CreateSession(Session("first", "alice")));
  ASSERT_OK(store_->Revoke("first", "user:alice", kNow, TestEvent("auth.logout")));
  ASSERT_OK_AND_ASSIGN(RevocationUpdate start, store_->ListRevoked(0, kNow));
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kSessions; i += 3) {
        EXPECT_OK(
            store_->Revoke(absl::StrCat("s", i), "user:alice", kNow, TestEvent("auth.logout")));
      }
    });
  }
  // A reader following the cursor while the writers run sees every revocation exactly once.
  std::vector<std::string> seen;
  int64_t cursor = start.cursor;
  bool writers_done = false;
  // Bounded, so that a broken store fails the test instead of hanging it.
  for (int round = 0; round < 200'000; ++round) {
    ASSERT_OK_AND_ASSIGN(RevocationUpdate update, store_->ListRevoked(cursor, kNow));
    ASSERT_FALSE(update.complete);
    for (auto& id : Ids(update)) seen.push_back(id);
    cursor = update.cursor;
    if (writers_done && update.sessions.empty()) break;
    if (static_cast<int>(seen.size()) == kSessions) {
      for (auto& t : writers) t.join();
      writers.clear();
      writers_done = true;
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(static_cast<int>(seen.size()), kSessions);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(PostgresSessionStoreTest, CountActiveLeavesOutRevokedAndExpired) {
  ASSERT_OK(CreateSession(Session("live", "alice")));
  ASSERT_OK(CreateSession(Session("short", "alice", absl::Minutes(5))));
  ASSERT_OK(CreateSession(Session("gone", "alice")));
  ASSERT_OK(store_->Revoke("gone", "user:alice", kNow, TestEvent("auth.logout")));
  EXPECT_THAT(store_->CountActive(kNow), ::jit::testing::IsOkAndHolds(2));
  EXPECT_THAT(store_->CountActive(kNow + absl::Minutes(10)), ::jit::testing::IsOkAndHolds(1));
}

TEST_F(PostgresSessionStoreTest, DeleteExpiredForgetsOnlyExpiredSessions) {
  ASSERT_OK(CreateSession(Session("short", "alice", absl::Minutes(5))));
  ASSERT_OK(CreateSession(Session("long", "alice")));
  EXPECT_THAT(store_->DeleteExpired(kNow + absl::Hours(1)), ::jit::testing::IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(auto shortlived, store_->Get("short"));
  ASSERT_OK_AND_ASSIGN(auto longlived, store_->Get("long"));
  EXPECT_FALSE(shortlived.has_value());
  EXPECT_TRUE(longlived.has_value());
}

}  // namespace
}  // namespace jit::auth
