// OutboxRelay against a real PostgreSQL (JIT_TEST_PG_URL) and a fake audit service.
#include "common/audit/outbox_relay.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/audit/audit_event.h"
#include "common/audit/outbox_test_migrations.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_transaction.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "prometheus/registry.h"
#include "services/audit/client/testing/fake_audit_client.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::FakeAuditClient;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;

constexpr char kSchema[] = "svc";

std::vector<std::string> Ids(const v1::IngestEventsRequest& request) {
  std::vector<std::string> ids;
  for (const auto& e : request.events()) ids.push_back(e.message());
  return ids;
}

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::string& code = "") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = code.empty();
      for (const auto& label : m.label)
        match = match || (label.name == "code" && label.value == code);
      if (!match) continue;
      return family.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return -1;
}

class OutboxRelayTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(4)));
    ASSERT_OK(db::ApplyMigrations(*pool_, kSchema, outbox_test::Migrations()));
    sink_.ingest_events.Answer(v1::IngestEventsResponse());
    relay_ = NewRelay(&sink_, 3);
  }

  std::unique_ptr<OutboxRelay> NewRelay(AuditClient* sink, int batch) {
    auto relay = OutboxRelay::Create(pool_.get(), sink, &clock_, &registry_,
                                     {.schema = kSchema, .batch_size = batch});
    EXPECT_THAT(relay, IsOk());
    return relay.ok() ? *std::move(relay) : nullptr;
  }

  // Events "e1".."en" (in the message), written one transaction each, as changes are.
  void Write(int first, int last, absl::Time time = absl::FromUnixSeconds(1'700'000'000)) {
    for (int i = first; i <= last; ++i) {
      auto e = NewAuditEvent("svc", "thing.changed", time, {.actor = "user:alice"}, "thing:1",
                             AuditEvent::OUTCOME_SUCCESS, absl::StrCat("e", i));
      ASSERT_OK(e);
      ASSERT_OK(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
        InsertOutboxEvent(txn, kSchema, *e);
        return absl::OkStatus();
      }));
    }
  }

  int Undelivered() {
    pqxx::connection c(db().conninfo());
    pqxx::nontransaction txn(c);
    return txn.exec1("SELECT count(*) FROM svc.audit_outbox WHERE delivered_at IS NULL")[0]
        .as<int>();
  }

  FakeClock clock_{absl::FromUnixSeconds(1'700'000'100)};
  prometheus::Registry registry_;
  std::unique_ptr<db::PgPool> pool_;
  FakeAuditClient sink_;
  std::unique_ptr<OutboxRelay> relay_;
};

TEST_F(OutboxRelayTest, DeliversTheOldestRowsInOrderAndMarksThem) {
  Write(1, 7);
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(3));
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(3));
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(1));
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(0));
  const auto requests = sink_.ingest_events.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(Ids(requests[0]), ElementsAre("e1", "e2", "e3"));
  EXPECT_THAT(Ids(requests[1]), ElementsAre("e4", "e5", "e6"));
  EXPECT_THAT(Ids(requests[2]), ElementsAre("e7"));
  EXPECT_EQ(requests[0].events(0).service(), "svc");
  EXPECT_EQ(Undelivered(), 0);
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_delivered_total"), 7);
}

TEST_F(OutboxRelayTest, NothingIsMarkedWhileTheSinkIsDown) {
  Write(1, 2);
  sink_.ingest_events.Answer(absl::UnavailableError("audit down"));
  EXPECT_THAT(relay_->DeliverOnce(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(relay_->DeliverOnce(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Undelivered(), 2);
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_delivery_failures_total", "UNAVAILABLE"),
            2);
  sink_.ingest_events.Answer(v1::IngestEventsResponse());
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(2));
  EXPECT_EQ(Undelivered(), 0);
  // The same events went out each time (the sink deduplicates by id).
  const auto requests = sink_.ingest_events.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].events(0).id(), requests[2].events(0).id());
}

TEST_F(OutboxRelayTest, AReplicaHoldingEarlierRowsDeliversThemFirst) {
  Write(1, 6);
  absl::Notification entered, release;
  FakeAuditClient slow;
  slow.ingest_events.Handle([&](const v1::IngestEventsRequest&) {
    entered.Notify();
    release.WaitForNotification();
    return absl::StatusOr<v1::IngestEventsResponse>(v1::IngestEventsResponse());
  });
  std::unique_ptr<OutboxRelay> a = NewRelay(&slow, 3);
  absl::StatusOr<int> a_result;
  std::thread replica_a([&] { a_result = a->DeliverOnce(); });
  entered.WaitForNotification();  // A holds rows 1-3 and waits for the sink
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(0));
  EXPECT_TRUE(sink_.ingest_events.requests().empty());  // B sent nothing out of order
  release.Notify();
  replica_a.join();
  EXPECT_THAT(a_result, jit::testing::IsOkAndHolds(3));
  EXPECT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(3));
  EXPECT_THAT(Ids(sink_.ingest_events.requests()[0]), ElementsAre("e4", "e5", "e6"));
}

TEST_F(OutboxRelayTest, DeletesDeliveredRowsAfterTheRetention) {
  Write(1, 4);
  ASSERT_THAT(relay_->DeliverOnce(), jit::testing::IsOkAndHolds(3));
  clock_.Advance(absl::Hours(24));
  EXPECT_THAT(relay_->DeleteDelivered(), jit::testing::IsOkAndHolds(0));  // not older yet
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(relay_->DeleteDelivered(), jit::testing::IsOkAndHolds(3));
  pqxx::connection c(db().conninfo());
  pqxx::nontransaction txn(c);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM svc.audit_outbox")[0].as<int>(), 1);  // e4
}

TEST_F(OutboxRelayTest, GaugesShowTheDepthAndTheOldestEventsAge) {
  ASSERT_OK(relay_->RefreshGauges());
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_depth"), 0);
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_oldest_undelivered_seconds"), 0);
  Write(1, 1, absl::FromUnixSeconds(1'700'000'040));  // 60 s before the clock
  Write(2, 2, absl::FromUnixSeconds(1'700'000'090));
  ASSERT_OK(relay_->RefreshGauges());
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_depth"), 2);
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_oldest_undelivered_seconds"), 60);
}

TEST_F(OutboxRelayTest, PacesItselfWithAJitteredBackOff) {
  relay_->SetJitterForTest([] { return 0.999999; });
  EXPECT_EQ(relay_->NextDelay(3), absl::ZeroDuration());  // a full batch: go on
  EXPECT_EQ(relay_->NextDelay(1), absl::Milliseconds(500));
  const absl::Status down = absl::UnavailableError("down");
  std::vector<int64_t> ms;
  for (int i = 0; i < 10; ++i) ms.push_back(absl::ToInt64Milliseconds(relay_->NextDelay(down)));
  EXPECT_THAT(ms, ElementsAre(199, 399, 799, 1599, 3199, 6399, 12799, 25599, 29999, 29999));
  relay_->SetJitterForTest([] { return 0.0; });
  EXPECT_EQ(relay_->NextDelay(down), absl::Milliseconds(100));  // never a busy retry
  EXPECT_EQ(relay_->NextDelay(0), absl::Milliseconds(500));     // success resets
  relay_->SetJitterForTest([] { return 0.999999; });
  EXPECT_EQ(absl::ToInt64Milliseconds(relay_->NextDelay(down)), 199);
}

TEST_F(OutboxRelayTest, ARunDrainsTheOutboxAndBacksOffWhileTheSinkIsDown) {
  relay_->SetJitterForTest([] { return 0.999999; });
  Write(1, 7);
  relay_->RunOnce();  // batches of 3: 3, 3, 1
  EXPECT_EQ(Undelivered(), 0);
  EXPECT_EQ(sink_.ingest_events.requests().size(), 3u);
  EXPECT_EQ(MetricValue(registry_, "jit_svc_audit_outbox_depth"), 0);

  Write(8, 9);
  sink_.ingest_events.Answer(absl::UnavailableError("audit down"));
  relay_->RunOnce();  // fails once, backs off 200 ms
  EXPECT_EQ(sink_.ingest_events.requests().size(), 4u);
  sink_.ingest_events.Answer(v1::IngestEventsResponse());
  relay_->RunOnce();  // still backing off: no call
  EXPECT_EQ(sink_.ingest_events.requests().size(), 4u);
  clock_.Advance(absl::Milliseconds(200));
  relay_->RunOnce();
  EXPECT_EQ(sink_.ingest_events.requests().size(), 5u);
  EXPECT_EQ(Undelivered(), 0);
}

TEST_F(OutboxRelayTest, RefusesBadOptions) {
  EXPECT_THAT(OutboxRelay::Create(pool_.get(), &sink_, &clock_, &registry_,
                                  {.schema = kSchema, .batch_size = 1001}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OutboxRelay::Create(pool_.get(), &sink_, &clock_, &registry_, {.schema = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::audit
