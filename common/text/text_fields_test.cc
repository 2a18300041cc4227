#include "common/text/text_fields.h"

#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/common/v1/role.pb.h"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x94\x91"));  // é € 🔑
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                            // U+10FFFF
}

TEST(IsValidUtf8Test, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // continuation without a lead
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\xE2\x82"));        // cut at the end
}

TEST(ValidateTextTest, NamesTheFieldAndTheProblem) {
  EXPECT_THAT(ValidateText("web-1", "name"), IsOk());
  EXPECT_THAT(
      ValidateText(std::string("a\0b", 3), "metadata.description"),
      StatusIs(absl::StatusCode::kInvalidArgument, "metadata.description: contains a NUL byte"));
  EXPECT_THAT(ValidateText("\xFF", "session_id"),
              StatusIs(absl::StatusCode::kInvalidArgument, "session_id: is not valid UTF-8"));
}

TEST(ValidateMessageTextTest, FindsTheBadFieldAnywhereInTheMessage) {
  common::v1::Role role;
  role.set_kind("role");
  role.mutable_metadata()->set_name("r");
  (*role.mutable_metadata()->mutable_labels())["team"] = "db";
  role.mutable_spec()->mutable_allow()->add_logins("ubuntu");
  (*role.mutable_spec()->mutable_allow()->mutable_node_labels())["env"].add_values("prod");
  EXPECT_THAT(ValidateMessageText(role), IsOk());

  common::v1::Role bad = role;
  (*bad.mutable_metadata()->mutable_labels())["team"] = std::string("d\0b", 3);
  EXPECT_THAT(ValidateMessageText(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 "metadata.labels[\"team\"]: contains a NUL byte"));

  bad = role;
  (*bad.mutable_metadata()->mutable_labels())[std::string("k\0", 2)] = "v";
  EXPECT_THAT(ValidateMessageText(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 "metadata.labels key: contains a NUL byte"));

  bad = role;
  bad.mutable_spec()->mutable_allow()->add_logins(std::string("r\0ot", 4));
  std::string bad_field;
  EXPECT_THAT(ValidateMessageText(bad, "role", &bad_field),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "role.spec.allow.logins[1]: contains a NUL byte"));
  EXPECT_EQ(bad_field, "role.spec.allow.logins[1]");

  bad = role;
  (*bad.mutable_spec()->mutable_allow()->mutable_node_labels())["env"].add_values("\xC3");
  EXPECT_THAT(ValidateMessageText(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("spec.allow.node_labels[\"env\"].values[1]: is not valid UTF-8")));
}

}  // namespace
}  // namespace jit
