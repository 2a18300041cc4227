#include "common/text/quote.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

TEST(QuoteBoundedTest, ShortValueIsQuotedWhole) {
  EXPECT_EQ(QuoteBounded("web-1"), "\"web-1\"");
  EXPECT_EQ(QuoteBounded(""), "\"\"");
  EXPECT_EQ(QuoteBounded(std::string(128, 'a')), "\"" + std::string(128, 'a') + "\"");
}

TEST(QuoteBoundedTest, LongValueIsCutAndItsLengthGiven) {
  const std::string quoted = QuoteBounded(std::string(100'000, 'a'));
  EXPECT_EQ(quoted, "\"" + std::string(128, 'a') + "...\" (100000 bytes)");
}

TEST(QuoteBoundedTest, CutNeverSplitsAUtf8Character) {
  // 127 ASCII bytes then a 3-byte character straddling byte 128.
  const std::string value = std::string(127, 'a') + "\xE2\x82\xAC" + "tail";
  EXPECT_EQ(QuoteBounded(value), "\"" + std::string(127, 'a') + "...\" (134 bytes)");
}

TEST(QuoteBoundedTest, AppendAddsToWhatIsThere) {
  std::string out = "login ";
  AppendQuoteBounded(&out, std::string(200, 'x'), 4);
  EXPECT_EQ(out, "login \"xxxx...\" (200 bytes)");
}

TEST(Utf8PrefixTest, KeepsWholeCharacters) {
  EXPECT_EQ(Utf8Prefix("h\xC3\xA9llo", 2), "h");
  EXPECT_EQ(Utf8Prefix("h\xC3\xA9llo", 3), "h\xC3\xA9");
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
}

TEST(TruncateTextTest, LeavesShortTextAloneAndCutsLongText) {
  EXPECT_EQ(TruncateText("role not found", 1024), "role not found");
  EXPECT_EQ(TruncateText(std::string(2000, 'm'), 16), std::string(16, 'm') + "... (2000 bytes)");
}

}  // namespace
}  // namespace jit
