#include "services/audit/export/jsonl_file_writer.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "common/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::audit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExportedLine Line(int64_t seq) {
  return {seq, absl::StrCat("{\"sequence\":", seq, ",\"id\":\"e", seq, "\"}")};
}

std::vector<ExportedLine> Lines(int64_t first, int64_t last) {
  std::vector<ExportedLine> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(Line(s));
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int64_t> Sequences(const std::string& content) {
  std::vector<int64_t> out;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    int64_t s = 0;
    sscanf(std::string(line).c_str(), "{\"sequence\":%ld,", &s);
    out.push_back(s);
  }
  return out;
}

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = d ? readdir(d) : nullptr) {
    if (e->d_name[0] != '.') out.insert(e->d_name);
  }
  if (d) closedir(d);
  return out;
}

class JsonlFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = jit::testing::TestTempPath(
        absl::StrCat("export-", ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    options_.dir = dir_;
    options_.max_file_bytes = 1 << 20;
    options_.max_file_age = absl::Minutes(10);
  }
  std::unique_ptr<JsonlFileWriter> Open() {
    auto w = JsonlFileWriter::Open(options_, &clock_);
    EXPECT_THAT(w, IsOk());
    return w.ok() ? *std::move(w) : nullptr;
  }

  std::string dir_;
  JsonlFileOptions options_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(JsonlFileWriterTest, AppendsLinesAndRemembersTheCursorAcrossRestarts) {
  auto w = Open();
  EXPECT_EQ(w->cursor(), 0);
  ASSERT_THAT(w->Append(Lines(1, 3)), IsOk());
  EXPECT_EQ(w->cursor(), 3);
  w.reset();
  w = Open();
  EXPECT_EQ(w->cursor(), 3);
  ASSERT_THAT(w->Append(Lines(4, 5)), IsOk());
  EXPECT_THAT(Sequences(Read(dir_ + "/audit.jsonl")), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(Read(dir_ + "/audit.cursor").rfind("{\"sequence\":5,", 0), 0u);
}

TEST_F(JsonlFileWriterTest, NeverRepeatsALine) {
  auto w = Open();
  ASSERT_THAT(w->Append(Lines(1, 4)), IsOk());
  ASSERT_THAT(w->Append(Lines(3, 6)), IsOk());  // a source resending 3 and 4
  EXPECT_THAT(Sequences(Read(dir_ + "/audit.jsonl")), ElementsAre(1, 2, 3, 4, 5, 6));
}

// A crash after the lines were written but before the cursor was stored.
TEST_F(JsonlFileWriterTest, LinesWrittenPastTheStoredCursorAdvanceIt) {
  {
    auto w = Open();
    ASSERT_THAT(w->Append(Lines(1, 2)), IsOk());
  }
  std::ofstream(dir_ + "/audit.jsonl", std::ios::app) << Line(3).text << "\n"
                                                      << Line(4).text << "\n";
  auto w = Open();
  EXPECT_EQ(w->cursor(), 4);
  ASSERT_THAT(w->Append(Lines(3, 5)), IsOk());
  EXPECT_THAT(Sequences(Read(dir_ + "/audit.jsonl")), ElementsAre(1, 2, 3, 4, 5));
}

// A crash in the middle of a write leaves a partial line: it is cut and written again.
TEST_F(JsonlFileWriterTest, APartialLastLineIsCutOff) {
  {
    auto w = Open();
    ASSERT_THAT(w->Append(Lines(1, 2)), IsOk());
  }
  std::ofstream(dir_ + "/audit.jsonl", std::ios::app) << "{\"sequence\":3,\"id\":\"e";
  auto w = Open();
  EXPECT_EQ(w->cursor(), 2);
  ASSERT_THAT(w->Append(Lines(3, 3)), IsOk());
  EXPECT_EQ(Read(dir_ + "/audit.jsonl"),
            absl::StrCat(Line(1).text, "\n", Line(2).text, "\n", Line(3).text, "\n"));
}

TEST_F(JsonlFileWriterTest, RotatesBySize) {
  options_.max_file_bytes = 50;  // two lines of 25 bytes
  auto w = Open();
  ASSERT_THAT(w->Append(Lines(1, 2)), IsOk());
  EXPECT_THAT(Files(dir_), ElementsAre("audit-20231114T221320.000000Z-2.jsonl", "audit.cursor"));
  ASSERT_THAT(w->Append(Lines(3, 3)), IsOk());
  EXPECT_THAT(Sequences(Read(dir_ + "/audit.jsonl")), ElementsAre(3));
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(w->Append(Lines(4, 4)), IsOk());
  EXPECT_THAT(Files(dir_), ElementsAre("audit-20231114T221320.000000Z-2.jsonl",
                                       "audit-20231114T221321.000000Z-4.jsonl", "audit.cursor"));
  EXPECT_THAT(Sequences(Read(dir_ + "/audit-20231114T221320.000000Z-2.jsonl")), ElementsAre(1, 2));
  EXPECT_THAT(Sequences(Read(dir_ + "/audit-20231114T221321.000000Z-4.jsonl")), ElementsAre(3, 4));
}

TEST_F(JsonlFileWriterTest, RotatesByAgeAlsoWhenIdle) {
  auto w = Open();
  ASSERT_THAT(w->Append(Lines(1, 1)), IsOk());
  clock_.Advance(absl::Minutes(9));
  ASSERT_THAT(w->RotateIfDue(), IsOk());
  EXPECT_TRUE(Files(dir_).count("audit.jsonl"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(w->RotateIfDue(), IsOk());
  EXPECT_FALSE(Files(dir_).count("audit.jsonl"));
  EXPECT_TRUE(Files(dir_).count("audit-20231114T222320.000000Z-1.jsonl"));
  // The cursor survives rotation.
  w.reset();
  w = Open();
  EXPECT_EQ(w->cursor(), 1);
}

TEST_F(JsonlFileWriterTest, KeepsOnlyTheNewestRotatedFiles) {
  options_.max_file_bytes = 1;
  options_.max_rotated_files = 2;
  auto w = Open();
  for (int s = 1; s <= 4; ++s) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_THAT(w->Append(Lines(s, s)), IsOk());
  }
  EXPECT_THAT(Files(dir_), ElementsAre("audit-20231114T221323.000000Z-3.jsonl",
                                       "audit-20231114T221324.000000Z-4.jsonl", "audit.cursor"));
}

TEST_F(JsonlFileWriterTest, RefusesToGuessFromAMalformedCursorOrLine) {
  {
    auto w = Open();
    ASSERT_THAT(w->Append(Lines(1, 1)), IsOk());
  }
  std::ofstream(dir_ + "/audit.cursor") << "garbage";
  EXPECT_THAT(JsonlFileWriter::Open(options_, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("audit.cursor")));
  std::ofstream(dir_ + "/audit.cursor") << "{\"sequence\":1,\"active_since_us\":0}";
  std::ofstream(dir_ + "/audit.jsonl", std::ios::app) << "not json\n";
  EXPECT_THAT(JsonlFileWriter::Open(options_, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last line")));
}

}  // namespace
}  // namespace jit::audit
