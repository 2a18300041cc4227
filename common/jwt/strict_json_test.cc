#include "common/jwt/strict_json.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::jwt {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StrictJsonTest, ParsesObject) {
  ASSERT_OK_AND_ASSIGN(nlohmann::json j,
                       ParseStrictJsonObject(R"({"a":1,"b":{"c":[1,{"d":2}]}})", "doc"));
  EXPECT_EQ(j["b"]["c"][1]["d"], 2);
}

TEST(StrictJsonTest, RejectsDuplicateTopLevelMember) {
  EXPECT_THAT(ParseStrictJsonObject(R"({"alg":"EdDSA","alg":"none"})", "hdr"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hdr: duplicate")));
}

TEST(StrictJsonTest, RejectsDuplicateNestedMember) {
  EXPECT_THAT(ParseStrictJsonObject(R"({"a":[{"x":1,"y":2,"x":3}]})", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST(StrictJsonTest, RejectsNonObjectsGarbageAndTrailingData) {
  EXPECT_THAT(ParseStrictJsonObject("[1,2]", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
  EXPECT_THAT(ParseStrictJsonObject(R"({"a":1} x)", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed")));
  EXPECT_THAT(ParseStrictJsonObject(R"({"a":1,})", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStrictJsonObject("{\"a\":\"\xff\"}", "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StrictJsonTest, RejectsARawNulByteAndWhatFollowsIt) {
  // nlohmann alone stops reading at the NUL and accepts the object before it.
  const std::string text("{\"a\":1}\0{\"b\":", 13);
  ASSERT_TRUE(nlohmann::json::accept(text));
  EXPECT_THAT(ParseStrictJsonObject(text, "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "doc: malformed JSON"));
  EXPECT_THAT(ParseStrictJsonObject(std::string("{\"a\":\"x\0y\"}", 11), "doc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "doc: malformed JSON"));
}

TEST(StrictJsonTest, EnforcesSizeAndDepth) {
  EXPECT_THAT(ParseStrictJsonObject(R"({"a":"0123456789"})", "doc", {.max_bytes = 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
  EXPECT_THAT(ParseStrictJsonObject(R"({"a":[[[[1]]]]})", "doc", {.max_depth = 3}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeply")));
}

}  // namespace
}  // namespace jit::jwt
