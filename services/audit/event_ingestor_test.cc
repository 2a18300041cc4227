#include "services/audit/event_ingestor.h"

#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const SecretString kSeed(std::string(32, '\x01'));

class EventIngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Checkpointer::Create(kSeed, &store_, &store_, &clock_,
                                  {.every_events = 5, .interval = absl::Minutes(1)});
    ASSERT_THAT(c, IsOk());
    checkpointer_ = *std::move(c);
  }

  FakeClock clock_{absl::FromUnixMicros(1'700'001'000'000'000)};
  InMemoryEventStore store_;
  std::unique_ptr<Checkpointer> checkpointer_;
  EventIngestor ingestor_{&store_, nullptr, &clock_};
};

TEST_F(EventIngestorTest, ReportsAcceptedDuplicatesAndTheLastSequence) {
  ASSERT_OK_AND_ASSIGN(auto r, ingestor_.Ingest("auth", TestBatch(1, 3)));
  EXPECT_EQ(r.accepted(), 3);
  EXPECT_EQ(r.duplicates(), 0);
  EXPECT_EQ(r.last_sequence(), 3);
  ASSERT_OK_AND_ASSIGN(auto again, ingestor_.Ingest("auth", TestBatch(2, 3)));
  EXPECT_EQ(again.accepted(), 1);
  EXPECT_EQ(again.duplicates(), 2);
  EXPECT_EQ(again.last_sequence(), 4);
}

TEST_F(EventIngestorTest, StampsTheIngestTimeFromTheClock) {
  ASSERT_THAT(ingestor_.Ingest("auth", TestBatch(1, 1)), IsOk());
  ASSERT_OK_AND_ASSIGN(auto events, store_.ReadAfter(0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ingest_time().seconds(), 1'700'001'000);
  EXPECT_EQ(events[0].code(), "J1000I");
}

TEST_F(EventIngestorTest, AnInvalidEventStoresNothingOfTheBatch) {
  auto request = TestBatch(1, 4);
  request.mutable_events(2)->clear_type();
  EXPECT_THAT(ingestor_.Ingest("auth", request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[2].type")));
  EXPECT_EQ(store_.appends(), 0);
  ASSERT_OK_AND_ASSIGN(ChainHead head, store_.Head());
  EXPECT_EQ(head.sequence, 0);
}

TEST_F(EventIngestorTest, AServiceSendsOnlyItsOwnEvents) {
  auto request = TestBatch(1, 3);
  request.mutable_events(1)->set_service("policy");
  EXPECT_THAT(
      ingestor_.Ingest("auth", request),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("events[1].service: \"policy\" but the caller is service \"auth\"")));
  EXPECT_EQ(store_.appends(), 0);
  EXPECT_THAT(ingestor_.Ingest("policy", TestBatch(1, 1)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(EventIngestorTest, AStoreThatIsDownGivesUnavailable) {
  store_.SetDown(absl::UnavailableError("database down"));
  EXPECT_THAT(ingestor_.Ingest("auth", TestBatch(1, 2)), StatusIs(absl::StatusCode::kUnavailable));
  store_.SetDown(absl::OkStatus());
  ASSERT_OK_AND_ASSIGN(auto r, ingestor_.Ingest("auth", TestBatch(1, 2)));
  EXPECT_EQ(r.accepted(), 2);
}

TEST_F(EventIngestorTest, SignsACheckpointEveryNEvents) {
  EventIngestor ingestor(&store_, checkpointer_.get(), &clock_);
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1, 3)), IsOk());
  ASSERT_OK_AND_ASSIGN(auto latest, store_.LatestCheckpoint());
  EXPECT_FALSE(latest.has_value());
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(4, 3)), IsOk());
  ASSERT_OK_AND_ASSIGN(latest, store_.LatestCheckpoint());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->sequence, 6);
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(7, 4)), IsOk());  // 10: only 4 since 6
  ASSERT_OK_AND_ASSIGN(latest, store_.LatestCheckpoint());
  EXPECT_EQ(latest->sequence, 6);
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(11, 1)), IsOk());  // 11: 5 since 6
  ASSERT_OK_AND_ASSIGN(latest, store_.LatestCheckpoint());
  EXPECT_EQ(latest->sequence, 11);
}

TEST_F(EventIngestorTest, TheObserverCountsCheckpointsOfAppendsAndTicks) {
  std::vector<bool> seen;
  checkpointer_->SetObserver([&](bool ok) { seen.push_back(ok); });
  EventIngestor ingestor(&store_, checkpointer_.get(), &clock_);
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1, 4)), IsOk());
  EXPECT_TRUE(seen.empty());                                      // not due yet
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(5, 2)), IsOk());  // 6: due at ingest
  EXPECT_EQ(seen, std::vector<bool>({true}));
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(7, 1)), IsOk());
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(auto ticked, checkpointer_->Tick());
  ASSERT_TRUE(ticked.has_value());
  EXPECT_EQ(seen, std::vector<bool>({true, true}));
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(8, 1)), IsOk());
  clock_.Advance(absl::Minutes(1));
  store_.SetDown(absl::UnavailableError("database down"));
  EXPECT_THAT(checkpointer_->Tick(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(seen, std::vector<bool>({true, true, false}));
}

}  // namespace
}  // namespace jit::audit
