#include "services/audit/event_export.h"

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/export/line_format.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::audit::v1::ExportEventsRequest;
using ::jit::audit::v1::ExportEventsResponse;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

class EventExportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(ingestor_.Ingest("auth", TestBatch(1, 12)), IsOk()); }

  // Runs an export; returns every batch.
  std::vector<ExportEventsResponse> Run(const ExportEventsRequest& request) {
    std::vector<ExportEventsResponse> batches;
    EXPECT_THAT(export_.Export(
                    request,
                    [&](const ExportEventsResponse& b) {
                      batches.push_back(b);
                      return true;
                    },
                    [] { return false; }),
                IsOk());
    return batches;
  }

  FakeClock clock_;
  InMemoryEventStore store_;
  EventIngestor ingestor_{&store_, nullptr, &clock_};
  EventExport export_{&store_, &store_, {.batch_size = 5, .follow_wait = absl::Seconds(5)}};
};

TEST_F(EventExportTest, StreamsFromTheResumePointInBatches) {
  ExportEventsRequest request;
  request.set_after_sequence(3);
  const auto batches = Run(request);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].lines_size(), 5);
  EXPECT_EQ(batches[0].last_sequence(), 8);
  EXPECT_EQ(batches[1].lines_size(), 4);
  EXPECT_EQ(batches[1].last_sequence(), 12);
  EXPECT_EQ(JsonLineSequence(batches[0].lines(0)), 4);
  EXPECT_EQ(JsonLineSequence(batches[1].lines(3)), 12);
}

TEST_F(EventExportTest, StopsAfterMaxEvents) {
  ExportEventsRequest request;
  request.set_max_events(7);
  const auto batches = Run(request);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].last_sequence(), 7);
  EXPECT_EQ(batches[1].lines_size(), 2);
}

TEST_F(EventExportTest, WritesCefWhenAsked) {
  ExportEventsRequest request;
  request.set_format(ExportEventsRequest::FORMAT_CEF);
  request.set_max_events(1);
  const auto batches = Run(request);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(batches[0].lines(0), "CEF:0|jit-access|jit-audit|1|J1000I|"));
}

TEST_F(EventExportTest, FollowModeSendsEventsAppendedLater) {
  ExportEventsRequest request;
  request.set_after_sequence(12);
  request.set_follow(true);
  std::atomic<bool> done{false};
  std::vector<int64_t> received;
  std::thread exporter([&] {
    EXPECT_THAT(export_.Export(
                    request,
                    [&](const ExportEventsResponse& b) {
                      for (const auto& line : b.lines())
                        received.push_back(*JsonLineSequence(line));
                      if (b.last_sequence() >= 15) done = true;
                      return true;
                    },
                    [&] { return done.load(); }),
                IsOk());
  });
  ASSERT_THAT(ingestor_.Ingest("auth", TestBatch(100, 3)), IsOk());  // wakes the waiting export
  exporter.join();
  EXPECT_EQ(received, (std::vector<int64_t>{13, 14, 15}));
}

TEST_F(EventExportTest, StopsWhenTheCallerIsGone) {
  ExportEventsRequest request;
  int calls = 0;
  EXPECT_THAT(export_.Export(
                  request,
                  [&](const ExportEventsResponse&) {
                    ++calls;
                    return false;
                  },
                  [] { return false; }),
              IsOk());
  EXPECT_EQ(calls, 1);
}

TEST_F(EventExportTest, RefusesABadRequest) {
  ExportEventsRequest request;
  request.set_after_sequence(-1);
  auto never = [](const ExportEventsResponse&) { return true; };
  auto no = [] { return false; };
  EXPECT_THAT(export_.Export(request, never, no), StatusIs(absl::StatusCode::kInvalidArgument));
  request = ExportEventsRequest();
  request.set_format(static_cast<ExportEventsRequest::Format>(9));
  EXPECT_THAT(export_.Export(request, never, no), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::audit
