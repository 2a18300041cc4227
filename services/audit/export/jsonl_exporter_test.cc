#include "services/audit/export/jsonl_exporter.h"

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "common/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/export/line_format.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::testing::ElementsAreArray;

std::vector<int64_t> FileSequences(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<int64_t> out;
  for (absl::string_view line : absl::StrSplit(ss.str(), '\n', absl::SkipEmpty())) {
    out.push_back(JsonLineSequence(std::string_view(line.data(), line.size())).value_or(-1));
  }
  return out;
}

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

class JsonlExporterTest : public ::testing::Test {
 protected:
  void Store(int64_t first, int count) {
    std::vector<AuditEvent> events;
    const v1::IngestEventsRequest batch = testing::TestBatch(first, count);
    for (const AuditEvent& e : batch.events()) events.push_back(e);
    ASSERT_TRUE(store_.Append(events).ok());
  }
  std::unique_ptr<JsonlFileWriter> Open() {
    auto writer = JsonlFileWriter::Open({.dir = dir_}, &clock_);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  const std::string dir_ =
      jit::testing::TestTempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
  FakeClock clock_;
  testing::InMemoryEventStore store_;
};

TEST_F(JsonlExporterTest, ExportsEveryStoredEventInBatchesUntilCaughtUp) {
  Store(1, 7);
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  JsonlExporter exporter(&store_, writer.get(), /*batch_size=*/3);
  EXPECT_THAT(exporter.RunOnce(), IsOkAndHolds(7));
  EXPECT_EQ(writer->cursor(), 7);
  EXPECT_THAT(FileSequences(writer->active_path()), ElementsAreArray(Range(1, 7)));
  EXPECT_THAT(exporter.RunOnce(), IsOkAndHolds(0));
}

TEST_F(JsonlExporterTest, ARestartedExporterNeitherSkipsNorRepeats) {
  Store(1, 4);
  {
    auto writer = Open();
    ASSERT_NE(writer, nullptr);
    JsonlExporter exporter(&store_, writer.get());
    EXPECT_THAT(exporter.RunOnce(), IsOkAndHolds(4));
  }
  Store(5, 3);
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  JsonlExporter exporter(&store_, writer.get());
  EXPECT_THAT(exporter.RunOnce(), IsOkAndHolds(3));
  EXPECT_THAT(FileSequences(writer->active_path()), ElementsAreArray(Range(1, 7)));
}

}  // namespace
}  // namespace jit::audit
