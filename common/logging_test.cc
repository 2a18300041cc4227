#include "common/logging.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/secret.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/spdlog.h"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(LoggingTest, RejectsUnknownLevelNamingTheField) {
  LogOptions options{.service = "t", .level = "verbose"};
  EXPECT_THAT(InitLogging(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
}

TEST(LoggingTest, RejectsUnknownFormat) {
  LogOptions options{.service = "t", .format = "xml"};
  EXPECT_THAT(InitLogging(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_format")));
}

TEST(LoggingTest, JsonFormatEscapesMessageAndRedactsSecrets) {
  const std::string path = TempPath("json.log");
  std::remove(path.c_str());
  ASSERT_THAT(InitLogging({.service = "auth", .format = "json", .file = path}), IsOk());
  spdlog::info("login user={} password={} note=\"quoted\"\nnext", "alice",
               SecretString(std::string("hunter2")));
  spdlog::default_logger()->flush();
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, HasSubstr(R"("service":"auth")"));
  EXPECT_THAT(text, HasSubstr(R"(password=[redacted] note=\"quoted\"\nnext")"));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
}

TEST(LoggingTest, TextFormatHonoursLevel) {
  const std::string path = TempPath("text.log");
  std::remove(path.c_str());
  ASSERT_THAT(InitLogging({.service = "ca", .level = "warn", .file = path}), IsOk());
  spdlog::info("quiet");
  spdlog::warn("loud");
  spdlog::default_logger()->flush();
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, HasSubstr("W ca] loud"));
  EXPECT_THAT(text, Not(HasSubstr("quiet")));
}

TEST(LogSafeTest, EscapesControlCharactersAndBoundsLength) {
  EXPECT_EQ(LogSafe("a\nb\x1b"), "a\\x0ab\\x1b");
  EXPECT_EQ(LogSafe(std::string(10, 'x'), 4), "xxxx...");
  EXPECT_EQ(LogSafe("plain"), "plain");
}

}  // namespace
}  // namespace jit
