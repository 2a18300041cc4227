// PostgresRequestStore against a real PostgreSQL (JIT_TEST_PG_URL; see
// common/db/testing/test_database.h), partly through RequestLifecycle with a fake policy.
#include "services/requests/postgres_request_store.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/testing/outbox_table.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/migrations.h"
#include "services/requests/request_lifecycle.h"

namespace jit::requests {
namespace {

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_CANCELLED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_EXPIRED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;

Identity User(const std::string& name, const std::string& role) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.add_roles(role);
  return id;
}

class PostgresRequestStoreTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(12)));
    ASSERT_OK(db::ApplyMigrations(*pool_, "requests", Migrations()));
    store_ = std::make_unique<PostgresRequestStore>(pool_.get());
    permissions_ = std::make_unique<policy::PolicyPermissionChecker>(&policy_);
    lifecycle_ =
        std::make_unique<RequestLifecycle>(store_.get(), &policy_, permissions_.get(), &clock_);
    // Anyone may request (4h, one approval or one denial decides); "reviewer" reviews.
    policy_.check_request.Handle([](const policy::v1::CheckRequestRequest& rq) {
      policy::v1::CheckRequestResponse r;
      r.set_allowed(true);
      r.mutable_max_duration()->set_seconds(4 * 3600);
      r.mutable_request_ttl()->set_seconds(3600);
      for (const std::string& role : rq.requested_roles()) {
        auto* rt = r.add_thresholds();
        rt->set_role(role);
        auto* t = rt->add_thresholds();
        t->set_name("default");
        t->set_approve(1);
        t->set_deny(1);
      }
      return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
    });
    policy_.check_review.Handle([](const policy::v1::CheckReviewRequest& rq) {
      policy::v1::CheckReviewResponse r;
      r.set_allowed(rq.reviewer().roles(0) == "reviewer");
      *r.mutable_matching_thresholds() = rq.request().thresholds();
      return absl::StatusOr<policy::v1::CheckReviewResponse>(r);
    });
  }

  std::string Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    pqxx::result r = txn.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  absl::StatusOr<AccessRequest> Create(const std::string& user, const std::string& key = "") {
    v1::CreateRequestRequest rq;
    rq.add_roles("dba");
    rq.set_reason("ticket");
    rq.set_request_key(key);
    return lifecycle_->Create(User(user, "dev"), {.actor = "user:" + user}, rq);
  }

  absl::StatusOr<AccessRequest> Approve(const std::string& reviewer, const std::string& id) {
    v1::ReviewRequestRequest rq;
    rq.set_id(id);
    rq.set_verdict(AccessReview::VERDICT_APPROVE);
    return lifecycle_->Review(User(reviewer, "reviewer"), {.actor = "user:" + reviewer}, rq);
  }

  FakeClock clock_{absl::FromUnixMicros(1'800'000'000'123'456)};
  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<PostgresRequestStore> store_;
  policy::testing::FakePolicyClient policy_;
  std::unique_ptr<policy::PolicyPermissionChecker> permissions_;
  std::unique_ptr<RequestLifecycle> lifecycle_;
};

TEST_F(PostgresRequestStoreTest, MigrationsCreateTheKitsOutbox) {
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  EXPECT_EQ(audit::testing::DescribeOutboxTable(txn, "requests"),
            audit::testing::KitOutboxTable(db().conninfo()));
}

TEST_F(PostgresRequestStoreTest, ACreatedRequestReadsBackWithHistoryAndItsEvent) {
  ASSERT_OK_AND_ASSIGN(AccessRequest created, Create("alice"));
  ASSERT_OK_AND_ASSIGN(AccessRequest got, store_->Get(created.id()));
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(got.history_size(), 1);
  EXPECT_EQ(FromProtoTimestamp(got.create_time()), clock_.Now());
  EXPECT_EQ(Query("SELECT type FROM requests.audit_outbox"), "access_request.create");
  EXPECT_THAT(store_->Get("0190b6d6-0000-7000-8000-000000000000"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresRequestStoreTest, TheIdempotencyKeyReturnsTheFirstRequest) {
  ASSERT_OK_AND_ASSIGN(AccessRequest first, Create("alice", "k"));
  ASSERT_OK_AND_ASSIGN(AccessRequest again, Create("alice", "k"));
  EXPECT_EQ(again.id(), first.id());
  ASSERT_OK_AND_ASSIGN(AccessRequest bobs, Create("bob", "k"));  // keys are per user
  EXPECT_NE(bobs.id(), first.id());
  EXPECT_EQ(Query("SELECT count(*) FROM requests.requests"), "2");
  v1::CreateRequestRequest other;
  other.add_roles("web");
  other.set_request_key("k");
  EXPECT_THAT(lifecycle_->Create(User("alice", "dev"), {}, other),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresRequestStoreTest, AnApprovalWritesReviewTransitionAndEventsTogether) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(AccessRequest approved, Approve("bob", r.id()));
  EXPECT_EQ(approved.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_GT(approved.revision(), r.revision());
  ASSERT_OK_AND_ASSIGN(AccessRequest got, store_->Get(r.id()));
  EXPECT_EQ(got.SerializeAsString(), approved.SerializeAsString());
  EXPECT_EQ(Query("SELECT count(*) FROM requests.reviews"), "1");
  EXPECT_EQ(Query("SELECT string_agg(type, ',' ORDER BY sequence) FROM requests.audit_outbox"),
            "access_request.create,access_request.review,access_request.approve");
  EXPECT_EQ(Query("SELECT string_agg(to_state::text, ',' ORDER BY revision) FROM "
                  "requests.transitions"),
            "1,2");
}

TEST_F(PostgresRequestStoreTest, AFailedDecisionWritesNothing) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
  EXPECT_THAT(store_->Update(r.id(),
                             [](const AccessRequest&) -> absl::StatusOr<RequestChange> {
                               return absl::FailedPreconditionError("no");
                             }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(AccessRequest got, store_->Get(r.id()));
  EXPECT_EQ(got.revision(), r.revision());
}

TEST_F(PostgresRequestStoreTest, RacingReviewersDecideOnce) {
  constexpr int kReviewers = 8;
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
    std::atomic<int> approved{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kReviewers; ++i) {
      threads.emplace_back([&, i] {
        absl::StatusOr<AccessRequest> s = Approve(absl::StrCat("rev", i), r.id());
        if (s.ok()) ++approved;
        if (absl::IsFailedPrecondition(s.status())) ++refused;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(approved.load(), 1);
    EXPECT_EQ(refused.load(), kReviewers - 1);
    ASSERT_OK_AND_ASSIGN(AccessRequest got, store_->Get(r.id()));
    EXPECT_EQ(got.reviews_size(), 1);
    ASSERT_THAT(got.history(), SizeIs(2));
    EXPECT_EQ(got.history(1).to_state(), ACCESS_REQUEST_STATE_APPROVED);
  }
}

TEST_F(PostgresRequestStoreTest, ListPagesNewestFirstByKeyset) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(i % 2 ? "bob" : "alice"));
    ids.push_back(r.id());
    clock_.Advance(absl::Seconds(1));
  }
  ListQuery q;
  q.limit = 2;
  ASSERT_OK_AND_ASSIGN(std::vector<AccessRequest> page, store_->List(q));
  ASSERT_THAT(page, SizeIs(2));
  EXPECT_EQ(page[0].id(), ids[4]);
  q.cursor_time = FromProtoTimestamp(page[1].create_time());
  q.cursor_id = page[1].id();
  ASSERT_OK_AND_ASSIGN(page, store_->List(q));
  ASSERT_THAT(page, SizeIs(2));
  EXPECT_EQ(page[0].id(), ids[2]);
  EXPECT_EQ(page[1].id(), ids[1]);
  ListQuery bobs;
  bobs.user = "bob";
  bobs.states = {ACCESS_REQUEST_STATE_PENDING};
  ASSERT_OK_AND_ASSIGN(page, store_->List(bobs));
  EXPECT_THAT(page, SizeIs(2));
  ListQuery others;
  others.exclude_user = "alice";
  ASSERT_OK_AND_ASSIGN(page, store_->List(others));
  EXPECT_THAT(page, SizeIs(2));
}

TEST_F(PostgresRequestStoreTest, GrantsAreListedUntilTheirWindowEnds) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
  ASSERT_THAT(Approve("bob", r.id()), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessRequest other, Create("carol"));
  GrantQuery q{.now = clock_.Now(), .user = "alice"};
  ASSERT_OK_AND_ASSIGN(std::vector<AccessRequest> grants, store_->ListGrants(q));
  ASSERT_THAT(grants, SizeIs(1));
  q.ids = {other.id()};
  ASSERT_OK_AND_ASSIGN(grants, store_->ListGrants(q));
  EXPECT_THAT(grants, SizeIs(0));
  q.ids.clear();
  q.revoked_only = true;
  ASSERT_OK_AND_ASSIGN(grants, store_->ListGrants(q));
  EXPECT_THAT(grants, SizeIs(0));
  q.revoked_only = false;
  q.now += absl::Hours(4);
  ASSERT_OK_AND_ASSIGN(grants, store_->ListGrants(q));
  EXPECT_THAT(grants, SizeIs(0));
}

TEST_F(PostgresRequestStoreTest, TheSweepSkipsRowsOthersHoldAndExpiresEachOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
    ids.push_back(r.id());
  }
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next, store_->NextDueTime());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, clock_.Now() + absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  // Another transaction holds one request.
  pqxx::connection holder(db().conninfo());
  pqxx::work held(holder);
  held.exec_params("SELECT 1 FROM requests.requests WHERE id = $1::uuid FOR UPDATE", ids[0]);
  std::atomic<int> expired{0};
  std::vector<std::thread> sweepers;
  for (int i = 0; i < 3; ++i) {
    sweepers.emplace_back([&] {
      for (;;) {
        absl::StatusOr<int> n = lifecycle_->ExpireDue(3);
        if (!n.ok() || *n == 0) return;
        expired += *n;
      }
    });
  }
  for (auto& t : sweepers) t.join();
  EXPECT_EQ(expired.load(), 19);
  held.abort();
  EXPECT_THAT(lifecycle_->ExpireDue(10), IsOkAndHolds(1));
  EXPECT_EQ(Query("SELECT count(*) FROM requests.transitions WHERE to_state = 5"), "20");
  EXPECT_EQ(Query("SELECT count(*) FROM requests.audit_outbox WHERE type = "
                  "'access_request.expire'"),
            "20");
  ASSERT_OK_AND_ASSIGN(next, store_->NextDueTime());
  EXPECT_FALSE(next.has_value());
}

TEST_F(PostgresRequestStoreTest, CancelRacingApproveEndsInOneTransition) {
  for (int round = 0; round < 10; ++round) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice"));
    std::thread approve([&] { (void)Approve("bob", r.id()); });
    v1::CancelRequestRequest cancel;
    cancel.set_id(r.id());
    (void)lifecycle_->Cancel(User("alice", "dev"), {}, cancel);
    approve.join();
    ASSERT_OK_AND_ASSIGN(AccessRequest got, store_->Get(r.id()));
    ASSERT_THAT(got.history(), SizeIs(2));
    EXPECT_TRUE(got.state() == ACCESS_REQUEST_STATE_APPROVED ||
                got.state() == ACCESS_REQUEST_STATE_CANCELLED);
  }
}

TEST_F(PostgresRequestStoreTest, BreakGlassIsStoredGrantedAndListedUntilReviewed) {
  policy_.check_request.Handle([](const policy::v1::CheckRequestRequest& rq) {
    policy::v1::CheckRequestResponse r;
    r.set_allowed(true);
    r.set_break_glass(rq.break_glass());
    r.mutable_max_duration()->set_seconds(1800);
    return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
  });
  v1::CreateRequestRequest rq;
  rq.add_roles("prod");
  rq.set_reason("INC-9");
  rq.set_break_glass(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r,
                       lifecycle_->Create(User("alice", "dev"), {.actor = "user:alice"}, rq));
  EXPECT_EQ(Query("SELECT string_agg(type, ',' ORDER BY sequence) FROM requests.audit_outbox"),
            "access_request.create,access_request.break_glass");
  ASSERT_OK_AND_ASSIGN(std::vector<AccessRequest> grants,
                       store_->ListGrants({.now = clock_.Now(), .user = "alice"}));
  EXPECT_THAT(grants, SizeIs(1));
  ListQuery awaiting;
  awaiting.break_glass_awaiting = true;
  ASSERT_OK_AND_ASSIGN(std::vector<AccessRequest> listed, store_->List(awaiting));
  EXPECT_THAT(listed, SizeIs(1));
  clock_.Advance(absl::Hours(25));
  ASSERT_OK_AND_ASSIGN(RequestCounts counts, store_->Counts(clock_.Now()));
  EXPECT_EQ(counts.break_glass_unreviewed, 1);
  EXPECT_EQ(counts.break_glass_overdue, 1);
  ASSERT_THAT(Approve("bob", r.id()), IsOk());
  ASSERT_OK_AND_ASSIGN(listed, store_->List(awaiting));
  EXPECT_THAT(listed, SizeIs(0));
  ASSERT_OK_AND_ASSIGN(counts, store_->Counts(clock_.Now()));
  EXPECT_EQ(counts.break_glass_unreviewed, 0);
}

TEST_F(PostgresRequestStoreTest, CountsPendingAndActiveGrants) {
  ASSERT_THAT(Create("alice"), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("carol"));
  ASSERT_THAT(Approve("bob", r.id()), IsOk());
  ASSERT_OK_AND_ASSIGN(RequestCounts counts, store_->Counts(clock_.Now()));
  EXPECT_EQ(counts.pending, 1);
  EXPECT_EQ(counts.active_grants, 1);
}

// The change feed: a change committed after a transaction that took an earlier id is
// numbered only once that transaction ended, and after its changes.
TEST_F(PostgresRequestStoreTest, TheFeedNumbersAChangeOnlyOnceEveryEarlierTransactionEnded) {
  pqxx::connection slow_connection(db().conninfo());
  pqxx::work slow(slow_connection);
  // A writer that took its transaction id and a revision first, and commits last.
  slow.exec(
      "INSERT INTO requests.changes (revision, request_id, prev_state, body) VALUES "
      "(nextval('requests.revision_seq'), '0190b6d6-0000-7000-8000-00000000000a', 0, '')");
  ASSERT_OK_AND_ASSIGN(AccessRequest alice, Create("alice"));
  EXPECT_THAT(store_->Sequence(), IsOkAndHolds(0));  // alice's change must wait
  ASSERT_OK_AND_ASSIGN(std::vector<FeedChange> none, store_->ReadAfter(0, 10));
  EXPECT_THAT(none, SizeIs(0));
  // A snapshot now shows the world as of position 0: without alice's request.
  ASSERT_OK_AND_ASSIGN(FeedSnapshot before, store_->Snapshot(100));
  EXPECT_EQ(before.position, 0);
  EXPECT_THAT(before.requests, SizeIs(0));
  slow.commit();
  EXPECT_THAT(store_->Sequence(), IsOkAndHolds(2));
  ASSERT_OK_AND_ASSIGN(std::vector<FeedChange> changes, store_->ReadAfter(0, 10));
  ASSERT_THAT(changes, SizeIs(2));
  EXPECT_EQ(changes[0].position, 1);
  EXPECT_EQ(changes[0].request.revision(), 1);
  EXPECT_EQ(changes[1].position, 2);
  EXPECT_EQ(changes[1].request.id(), alice.id());
  EXPECT_EQ(changes[1].prev_state, jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED);
  ASSERT_OK_AND_ASSIGN(AccessRequest approved, Approve("bob", alice.id()));
  EXPECT_THAT(store_->Sequence(), IsOkAndHolds(3));
  ASSERT_OK_AND_ASSIGN(changes, store_->ReadAfter(2, 10));
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_EQ(changes[0].prev_state, ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(changes[0].request.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_EQ(changes[0].request.revision(), approved.revision());
  ASSERT_OK_AND_ASSIGN(FeedSnapshot after, store_->Snapshot(100));
  EXPECT_EQ(after.position, 3);
  ASSERT_THAT(after.requests, SizeIs(1));
  EXPECT_EQ(after.requests[0].state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_THAT(store_->Snapshot(0), StatusIs(absl::StatusCode::kResourceExhausted));
}

// Writers, two sequencers and a reader at once: the reader, following the feed as it grows,
// ends with every change exactly once, in position order 1..N.
TEST_F(PostgresRequestStoreTest, AReaderFollowingTheFeedMissesAndRepeatsNothing) {
  PostgresRequestStore other(pool_.get());
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        if (Create(absl::StrCat("user", w)).ok()) ++created;
      }
    });
  }
  std::vector<std::thread> sequencers;
  for (ChangeFeed* feed :
       {static_cast<ChangeFeed*>(store_.get()), static_cast<ChangeFeed*>(&other)}) {
    sequencers.emplace_back([&, feed] {
      while (writing.load()) ASSERT_THAT(feed->Sequence(), IsOk());
    });
  }
  std::vector<int64_t> seen;
  std::set<int64_t> revisions;
  auto read = [&] {
    absl::StatusOr<std::vector<FeedChange>> batch =
        store_->ReadAfter(seen.empty() ? 0 : seen.back(), 7);
    ASSERT_THAT(batch, IsOk());
    for (const FeedChange& c : *batch) {
      seen.push_back(c.position);
      EXPECT_TRUE(revisions.insert(c.request.revision()).second);
    }
  };
  while (created.load() < 100) read();
  for (auto& t : threads) t.join();
  writing.store(false);
  for (auto& t : sequencers) t.join();
  ASSERT_THAT(store_->Sequence(), IsOkAndHolds(100));
  for (int i = 0; i < 20 && seen.size() < 100; ++i) read();
  ASSERT_EQ(seen.size(), 100u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));
}

}  // namespace
}  // namespace jit::requests
