// PostgresEventStore against a real PostgreSQL, connected as the writer role the sink uses
// (JIT_TEST_PG_URL; see common/db/testing/test_database.h).
#include "services/audit/storage/postgres_event_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/event_validation.h"
#include "services/audit/testing/audit_database.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::TestBatch;
using ::jit::audit::testing::TestEvent;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kIngest = absl::FromUnixMicros(1'700'000'500'654'321);

std::vector<AuditEvent> Normalised(const jit::audit::v1::IngestEventsRequest& request) {
  auto events = ValidateBatch(request.events(), kIngest);
  EXPECT_THAT(events, IsOk());
  return events.ok() ? *events : std::vector<AuditEvent>();
}

// Recomputes the chain over `events` (from sequence 1) the way an auditor would.
void ExpectValidChain(const std::vector<AuditEvent>& events) {
  std::string prev = chain::GenesisHash();
  for (size_t i = 0; i < events.size(); ++i) {
    const AuditEvent& e = events[i];
    ASSERT_EQ(e.sequence(), static_cast<int64_t>(i + 1));
    ASSERT_EQ(e.prev_hash(), absl::BytesToHexString(prev)) << "at " << e.sequence();
    const std::string hash = chain::ChainHash(prev, e);
    ASSERT_EQ(e.hash(), absl::BytesToHexString(hash)) << "at " << e.sequence();
    prev = hash;
  }
}

class PostgresEventStoreTest : public testing::AuditDatabaseTest {
 protected:
  void SetUp() override {
    testing::AuditDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PostgresEventStore>(&writer_pool());
  }
  void TearDown() override {
    store_.reset();
    testing::AuditDatabaseTest::TearDown();
  }
  std::vector<AuditEvent> All() {
    auto events = store_->ReadAfter(0, 100000);
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *events : std::vector<AuditEvent>();
  }

  std::unique_ptr<PostgresEventStore> store_;
};

TEST_F(PostgresEventStoreTest, AppendLinksEventsIntoAChainAnAuditorCanRecompute) {
  ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(Normalised(TestBatch(1, 3))));
  EXPECT_EQ(r.accepted, 3);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.head.sequence, 3);
  ASSERT_OK_AND_ASSIGN(AppendResult r2, store_->Append(Normalised(TestBatch(4, 2))));
  EXPECT_EQ(r2.head.sequence, 5);
  const std::vector<AuditEvent> events = All();
  ASSERT_EQ(events.size(), 5u);
  ExpectValidChain(events);
  ASSERT_OK_AND_ASSIGN(ChainHead head, store_->Head());
  EXPECT_EQ(head.sequence, 5);
  EXPECT_EQ(absl::BytesToHexString(head.hash), events.back().hash());
}

TEST_F(PostgresEventStoreTest, StoredEventsReadBackWithEveryField) {
  std::vector<AuditEvent> in = Normalised(TestBatch(7, 1));
  auto& f = *in[0].mutable_details()->mutable_fields();
  f["big"].set_number_value(1e20);
  f["small"].set_number_value(1.5e-7);
  f["nested"].mutable_struct_value();
  in[0].set_request_id("request-9");
  in[0].set_message("line one\nline two\\ with a backslash and a \t tab");
  ASSERT_THAT(store_->Append(in), IsOk());
  const std::vector<AuditEvent> out = All();
  ASSERT_EQ(out.size(), 1u);
  AuditEvent expected = in[0];
  expected.set_sequence(1);
  expected.set_prev_hash(out[0].prev_hash());
  expected.set_hash(out[0].hash());
  EXPECT_EQ(out[0].DebugString(), expected.DebugString());
  EXPECT_EQ(out[0].hash(),
            absl::BytesToHexString(chain::ChainHash(chain::GenesisHash(), expected)));
}

TEST_F(PostgresEventStoreTest, DuplicateIdsAreSkippedAcrossAndWithinBatches) {
  ASSERT_THAT(store_->Append(Normalised(TestBatch(1, 3))), IsOk());
  ASSERT_OK_AND_ASSIGN(AppendResult again, store_->Append(Normalised(TestBatch(1, 3))));
  EXPECT_EQ(again.accepted, 0);
  EXPECT_EQ(again.duplicates, 3);
  EXPECT_EQ(again.head.sequence, 3);

  jit::audit::v1::IngestEventsRequest mixed = TestBatch(3, 2);  // 3 is stored, 4 is new
  *mixed.add_events() = TestEvent(4);                           // 4 again in the batch
  // The same id in upper case is the same UUID.
  AuditEvent upper = TestEvent(2);
  upper.set_id("00000000-0000-7000-8000-00000000000A");
  *mixed.add_events() = upper;
  ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(Normalised(mixed)));
  EXPECT_EQ(r.accepted, 2);  // 4 and ...0a
  EXPECT_EQ(r.duplicates, 2);
  ASSERT_OK_AND_ASSIGN(AppendResult r2, store_->Append(Normalised(TestBatch(10, 1))));
  EXPECT_EQ(r2.accepted, 0);  // 10 = ...0a
  EXPECT_EQ(r2.duplicates, 1);
  ExpectValidChain(All());
}

TEST_F(PostgresEventStoreTest, AFailingBatchStoresNothing) {
  ASSERT_THAT(store_->Append(Normalised(TestBatch(1, 2))), IsOk());
  std::vector<AuditEvent> batch = Normalised(TestBatch(3, 3));
  // Validation refuses U+0000; here it slips through to PostgreSQL, which refuses the third
  // row after two were copied.
  batch[2].set_message(std::string("nul\0byte", 8));
  EXPECT_THAT(store_->Append(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(ChainHead head, store_->Head());
  EXPECT_EQ(head.sequence, 2);
  EXPECT_EQ(All().size(), 2u);
  ASSERT_THAT(store_->Append(Normalised(TestBatch(3, 1))), IsOk());
  ExpectValidChain(All());
}

TEST_F(PostgresEventStoreTest, TheWriterRoleCanNeitherChangeNorDeleteEvents) {
  ASSERT_THAT(store_->Append(Normalised(TestBatch(1, 2))), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string owner,
                       PsqlAsSuperuser("SELECT tableowner FROM pg_tables WHERE schemaname = "
                                       "'audit' AND tablename = 'events'"));
  EXPECT_NE(owner, writer_role() + "\n");
  for (const std::string sql :
       {"UPDATE audit.events SET actor = 'user:mallory' WHERE sequence = 1",
        "DELETE FROM audit.events WHERE sequence = 2", "TRUNCATE audit.events",
        "UPDATE audit.checkpoints SET key_id = 'x'", "DELETE FROM audit.checkpoints",
        "ALTER TABLE audit.events DISABLE TRIGGER ALL", "DROP TABLE audit.events"}) {
    EXPECT_THAT(PsqlAsWriter(sql), StatusIs(absl::StatusCode::kInternal,
                                            ::testing::AnyOf(HasSubstr("permission denied"),
                                                             HasSubstr("must be owner"))))
        << sql;
  }
  // GRANT by a non-owner grants nothing (PostgreSQL only warns).
  ASSERT_THAT(PsqlAsWriter("GRANT UPDATE, DELETE ON audit.events TO PUBLIC"), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string can,
                       PsqlAsWriter("SELECT has_table_privilege('audit.events', 'UPDATE') OR "
                                    "has_table_privilege('audit.events', 'DELETE') OR "
                                    "has_table_privilege('audit.events', 'TRUNCATE')"));
  EXPECT_EQ(can, "f\n");
  ASSERT_OK_AND_ASSIGN(std::string rows, PsqlAsWriter("SELECT count(*) FROM audit.events"));
  EXPECT_EQ(rows, "2\n");
  ExpectValidChain(All());
}

TEST_F(PostgresEventStoreTest, TwoReplicasAppendingAtOnceNeverForkTheChain) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<db::PgPool> second_pool, NewWriterPool());
  PostgresEventStore second(second_pool.get());
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 25;
  std::atomic<int> failures{0};
  auto run = [&](EventStore* store, int64_t base) {
    for (int b = 0; b < kBatches; ++b) {
      if (!store->Append(Normalised(TestBatch(base + b * kPerBatch, kPerBatch))).ok()) {
        ++failures;
      }
    }
  };
  std::thread a(run, store_.get(), 1);
  std::thread b(run, &second, 1'000'000);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  const std::vector<AuditEvent> events = All();
  EXPECT_EQ(events.size(), 2u * kBatches * kPerBatch);
  ExpectValidChain(events);
}

TEST_F(PostgresEventStoreTest, ConcurrentCallersShareOneTransactionAndKeepTheirOwnResults) {
  ASSERT_THAT(store_->Append(Normalised(TestBatch(1, 2))), IsOk());
  // The first caller leads; it waits in the hook until three more batches queue behind it.
  absl::Notification entered, release;
  std::atomic<bool> first{true};
  store_->SetLeaderHookForTest([&] {
    if (first.exchange(false)) {
      entered.Notify();
      release.WaitForNotification();
    }
  });
  std::vector<AuditEvent> bad = Normalised(TestBatch(20, 3));
  bad[1].set_message(std::string("nul\0", 4));  // PostgreSQL refuses this row
  absl::StatusOr<AppendResult> ra, rb, rc, rd;
  std::thread a([&] { ra = store_->Append(Normalised(TestBatch(10, 3))); });
  entered.WaitForNotification();  // a leads and waits with its own batch queued
  std::thread b([&] { rb = store_->Append(bad); });
  std::thread c([&] { rc = store_->Append(Normalised(TestBatch(30, 3))); });
  std::thread d([&] { rd = store_->Append(Normalised(TestBatch(1, 3))); });  // 1, 2 stored
  // Waiting for the other threads to queue: a hook-driven order, the sleep only polls.
  while (store_->QueuedForTest() != 4) absl::SleepFor(absl::Milliseconds(1));
  release.Notify();
  for (std::thread* t : {&a, &b, &c, &d}) t->join();
  ASSERT_THAT(ra, IsOk());
  EXPECT_EQ(ra->accepted, 3);
  EXPECT_THAT(rb, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(rc, IsOk());
  EXPECT_EQ(rc->accepted, 3);
  ASSERT_THAT(rd, IsOk());
  EXPECT_EQ(rd->accepted, 1);
  EXPECT_EQ(rd->duplicates, 2);
  const std::vector<AuditEvent> events = All();
  EXPECT_EQ(events.size(), 2u + 3 + 3 + 1);
  ExpectValidChain(events);
  for (const AuditEvent& e : events) EXPECT_NE(e.message(), "event 21");  // b stored nothing
}

TEST_F(PostgresEventStoreTest, SearchFiltersOrdersAndContinuesAfterAPosition) {
  jit::audit::v1::IngestEventsRequest request;
  for (int i = 1; i <= 6; ++i) {
    AuditEvent e = TestEvent(i, i % 2 == 0 ? "access_request.create" : "auth.login",
                             i <= 3 ? "user:alice" : "user:bob");
    if (i == 5) e.set_outcome(AuditEvent::OUTCOME_DENIED);
    if (i == 6) e.set_request_id("r-6");
    *request.add_events() = e;
  }
  // Two events at the same time: the sequence breaks the tie.
  AuditEvent same = TestEvent(7, "auth.login", "user:bob");
  same.mutable_time()->set_seconds(1'700'000'006);
  *request.add_events() = same;
  ASSERT_THAT(store_->Append(Normalised(request)), IsOk());

  auto seqs = [&](const SearchQuery& q) {
    std::vector<int64_t> out;
    auto events = store_->Search(q);
    EXPECT_THAT(events, IsOk());
    if (events.ok()) {
      for (const AuditEvent& e : *events) out.push_back(e.sequence());
    }
    return out;
  };
  SearchQuery q;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{7, 6, 5, 4, 3, 2, 1}));
  q.ascending = true;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  q = SearchQuery();
  q.actor = "user:bob";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{7, 6, 5, 4}));
  q.after = SearchPosition{1'700'000'006'123'456, 6};  // continue below event 6
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{5, 4}));
  q = SearchQuery();
  q.type_prefixes = {"access_request."};
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{6, 4, 2}));
  q.type_prefixes.clear();
  q.exact_types = {"auth.login"};
  q.outcome = AuditEvent::OUTCOME_DENIED;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{5}));
  q = SearchQuery();
  q.start = absl::FromUnixSeconds(1'700'000'002);
  q.end = absl::FromUnixSeconds(1'700'000'004);
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{3, 2}));
  q = SearchQuery();
  q.request_id = "r-6";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{6}));
  q = SearchQuery();
  q.target = "user:bob";
  q.limit = 2;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{7, 6}));
}

TEST_F(PostgresEventStoreTest, CheckpointsAreStoredOncePerSequenceAndListed) {
  auto checkpoint = [](int64_t seq) {
    StoredCheckpoint c;
    c.sequence = seq;
    c.hash = std::string(32, static_cast<char>(seq));
    c.signed_at = absl::FromUnixMicros(1'700'000'000'000'001 + seq);
    c.key_id = "0011223344556677";
    c.public_key = std::string(32, 'k');
    c.signature = std::string(64, 's');
    return c;
  };
  ASSERT_OK_AND_ASSIGN(std::optional<StoredCheckpoint> none, store_->LatestCheckpoint());
  EXPECT_FALSE(none.has_value());
  for (int64_t s : {10, 20, 30}) ASSERT_THAT(store_->AddCheckpoint(checkpoint(s)), IsOk());
  StoredCheckpoint other = checkpoint(20);
  other.key_id = "ffffffffffffffff";
  ASSERT_THAT(store_->AddCheckpoint(other), IsOk());  // dropped: 20 is checkpointed
  ASSERT_OK_AND_ASSIGN(std::optional<StoredCheckpoint> latest, store_->LatestCheckpoint());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->sequence, 30);
  EXPECT_EQ(latest->hash, checkpoint(30).hash);
  EXPECT_EQ(latest->signed_at, checkpoint(30).signed_at);
  EXPECT_EQ(latest->signature, checkpoint(30).signature);
  ASSERT_OK_AND_ASSIGN(std::vector<StoredCheckpoint> listed, store_->ListCheckpoints(30, 10));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].sequence, 20);
  EXPECT_EQ(listed[0].key_id, "0011223344556677");
  EXPECT_EQ(listed[1].sequence, 10);
  ASSERT_OK_AND_ASSIGN(std::vector<StoredCheckpoint> between, store_->CheckpointsBetween(15, 30));
  ASSERT_EQ(between.size(), 2u);
  EXPECT_EQ(between[0].sequence, 20);
  EXPECT_EQ(between[1].sequence, 30);
}

}  // namespace
}  // namespace jit::audit
