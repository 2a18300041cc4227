#include "services/ca/join/join_token.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::ca::join {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JoinTokenTest, GeneratedTokensParseToTheirIdAndHash) {
  ASSERT_OK_AND_ASSIGN(NewToken a, GenerateJoinToken());
  ASSERT_OK_AND_ASSIGN(NewToken b, GenerateJoinToken());
  EXPECT_NE(a.token_id, b.token_id);
  EXPECT_NE(a.token_hash, b.token_hash);
  EXPECT_EQ(a.token_hash.size(), 64u);
  ASSERT_OK_AND_ASSIGN(ParsedToken parsed, ParseJoinToken(a.token.Reveal()));
  EXPECT_EQ(parsed.token_id, a.token_id);
  EXPECT_EQ(parsed.token_hash, a.token_hash);
  // The stored hash does not contain the secret.
  EXPECT_THAT(a.token_hash, ::testing::Not(HasSubstr(a.token_id)));
}

TEST(JoinTokenTest, MalformedTokensAreInvalidWithoutEchoingThem) {
  ASSERT_OK_AND_ASSIGN(NewToken a, GenerateJoinToken());
  const std::string good(a.token.Reveal());
  for (const std::string& bad :
       {std::string(""), std::string("jt1"), "jt2" + good.substr(3), good + ".x", good + "x",
        good.substr(0, good.size() - 1), "jt1.!!!!!!!!!!!!!!!!!!!!!!." + good.substr(27)}) {
    absl::StatusOr<ParsedToken> parsed = ParseJoinToken(bad);
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    if (bad.size() > 8) {
      EXPECT_THAT(parsed.status().message(), ::testing::Not(HasSubstr(bad)));
    }
  }
}

TEST(JoinTokenTest, KindNames) {
  EXPECT_EQ(*JoinTokenKindName(v1::JOIN_TOKEN_KIND_HOST), "host");
  EXPECT_EQ(*ParseJoinTokenKind("service"), v1::JOIN_TOKEN_KIND_SERVICE);
  EXPECT_THAT(JoinTokenKindName(v1::JOIN_TOKEN_KIND_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJoinTokenKind("robot"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::ca::join
