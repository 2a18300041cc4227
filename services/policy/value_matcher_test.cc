#include "services/policy/value_matcher.h"

#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

ValueMatcher MustCreate(const std::string& expression) {
  absl::StatusOr<ValueMatcher> matcher = ValueMatcher::Create(expression);
  EXPECT_TRUE(matcher.ok()) << matcher.status();
  return *matcher;
}

TEST(ValueMatcherTest, WildcardMatchesEverything) {
  ValueMatcher any = MustCreate("*");
  EXPECT_EQ(any.kind(), ValueMatcher::Kind::kAny);
  EXPECT_TRUE(any.Matches(""));
  EXPECT_TRUE(any.Matches("prod"));
}

TEST(ValueMatcherTest, PlainValueIsExact) {
  ValueMatcher exact = MustCreate("prod");
  EXPECT_EQ(exact.kind(), ValueMatcher::Kind::kExact);
  EXPECT_TRUE(exact.Matches("prod"));
  EXPECT_FALSE(exact.Matches("production"));
  EXPECT_FALSE(exact.Matches("pro"));
}

TEST(ValueMatcherTest, RegexMetacharactersOutsideAnchorsAreLiteral) {
  ValueMatcher dotted = MustCreate("db.internal");
  EXPECT_TRUE(dotted.Matches("db.internal"));
  EXPECT_FALSE(dotted.Matches("dbxinternal"));
}

TEST(ValueMatcherTest, GlobPrefixSuffixAndMiddle) {
  ValueMatcher prefix = MustCreate("web-*");
  EXPECT_TRUE(prefix.Matches("web-1"));
  EXPECT_TRUE(prefix.Matches("web-"));
  EXPECT_FALSE(prefix.Matches("api-web-1"));
  ValueMatcher suffix = MustCreate("*-prod");
  EXPECT_TRUE(suffix.Matches("eu-prod"));
  EXPECT_FALSE(suffix.Matches("eu-prod-2"));
  ValueMatcher middle = MustCreate("a*b*c");
  EXPECT_TRUE(middle.Matches("abc"));
  EXPECT_TRUE(middle.Matches("axxbyyc"));
  EXPECT_FALSE(middle.Matches("acb"));
  EXPECT_FALSE(middle.Matches("ab"));
}

TEST(ValueMatcherTest, GlobDoesNotLetPrefixAndSuffixOverlap) {
  ValueMatcher glob = MustCreate("ab*ba");
  EXPECT_FALSE(glob.Matches("aba"));
  EXPECT_TRUE(glob.Matches("abba"));
}

TEST(ValueMatcherTest, AnchoredRegex) {
  ValueMatcher regex = MustCreate("^db-[0-9]+$");
  EXPECT_EQ(regex.kind(), ValueMatcher::Kind::kRegex);
  EXPECT_TRUE(regex.Matches("db-12"));
  EXPECT_FALSE(regex.Matches("db-x"));
  EXPECT_FALSE(regex.Matches("xdb-12"));
}

TEST(ValueMatcherTest, RegexAlternationFollowsGoSemantics) {
  // Like Go's MatchString, "^a|b$" means (^a)|(b$).
  ValueMatcher regex = MustCreate("^prod|staging$");
  EXPECT_TRUE(regex.Matches("prod-eu"));
  EXPECT_TRUE(regex.Matches("eu-staging"));
  EXPECT_FALSE(regex.Matches("dev"));
}

TEST(ValueMatcherTest, RejectsInvalidRegex) {
  EXPECT_THAT(ValueMatcher::Create("^(prod$"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid regular expression \"^(prod$\"")));
}

TEST(ValueMatcherTest, RejectsBacktrackingOnlyFeatures) {
  // RE2 has no backreferences: what would be a backtracking bomb elsewhere is refused.
  EXPECT_THAT(ValueMatcher::Create("^(a+)\\1$"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValueMatcherTest, PathologicalRegexRunsInLinearTime) {
  ValueMatcher regex = MustCreate("^(a+)+$");
  const std::string input = std::string(50000, 'a') + "!";
  EXPECT_FALSE(regex.Matches(input));
}

TEST(ValueMatcherTest, RejectsEmptyAndOverlong) {
  EXPECT_THAT(ValueMatcher::Create(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValueMatcher::Create(std::string(kMaxMatcherExpressionLength + 1, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than")));
}

}  // namespace
}  // namespace jit::policy
