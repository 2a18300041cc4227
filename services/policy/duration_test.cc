#include "services/policy/duration.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseRoleDurationTest, AcceptsSingleUnits) {
  ASSERT_OK_AND_ASSIGN(absl::Duration hour, ParseRoleDuration("1h"));
  EXPECT_EQ(hour, absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(absl::Duration half_hour, ParseRoleDuration("30m"));
  EXPECT_EQ(half_hour, absl::Minutes(30));
  ASSERT_OK_AND_ASSIGN(absl::Duration ninety, ParseRoleDuration("90s"));
  EXPECT_EQ(ninety, absl::Seconds(90));
  ASSERT_OK_AND_ASSIGN(absl::Duration ms, ParseRoleDuration("250ms"));
  EXPECT_EQ(ms, absl::Milliseconds(250));
}

TEST(ParseRoleDurationTest, AcceptsCompoundAndFractions) {
  ASSERT_OK_AND_ASSIGN(absl::Duration compound, ParseRoleDuration("1h30m"));
  EXPECT_EQ(compound, absl::Minutes(90));
  ASSERT_OK_AND_ASSIGN(absl::Duration fraction, ParseRoleDuration("1.5h"));
  EXPECT_EQ(fraction, absl::Minutes(90));
  ASSERT_OK_AND_ASSIGN(absl::Duration zero, ParseRoleDuration("0"));
  EXPECT_EQ(zero, absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(absl::Duration long_form, ParseRoleDuration("30h0m0s"));
  EXPECT_EQ(long_form, absl::Hours(30));
}

TEST(ParseRoleDurationTest, RejectsMissingUnit) {
  EXPECT_THAT(ParseRoleDuration("90"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing unit")));
  EXPECT_THAT(ParseRoleDuration("1h30"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing unit")));
}

TEST(ParseRoleDurationTest, RejectsUnknownUnit) {
  EXPECT_THAT(ParseRoleDuration("1d"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown unit \"d\"")));
  EXPECT_THAT(ParseRoleDuration("5 minutes"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseRoleDurationTest, RejectsNegativeEmptyAndGarbage) {
  EXPECT_THAT(ParseRoleDuration("-1h"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  EXPECT_THAT(ParseRoleDuration(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRoleDuration("h"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRoleDuration("inf"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseRoleDurationTest, RejectsAboveMaximum) {
  EXPECT_THAT(ParseRoleDuration("9000h"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maximum")));
  EXPECT_THAT(ParseRoleDuration("999999999999h"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maximum")));
}

TEST(FormatRoleDurationTest, FormatsShortestForm) {
  EXPECT_EQ(FormatRoleDuration(absl::Minutes(90)), "1h30m");
  EXPECT_EQ(FormatRoleDuration(absl::Hours(1)), "1h");
  EXPECT_EQ(FormatRoleDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(FormatRoleDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatRoleDuration(absl::Hours(2) + absl::Seconds(5)), "2h5s");
}

TEST(ProtoDurationTest, RoundTrips) {
  google::protobuf::Duration proto;
  ToProtoDuration(absl::Seconds(5400) + absl::Milliseconds(5), &proto);
  EXPECT_EQ(proto.seconds(), 5400);
  EXPECT_EQ(proto.nanos(), 5'000'000);
  ASSERT_OK_AND_ASSIGN(absl::Duration back, FromProtoDuration(proto));
  EXPECT_EQ(back, absl::Seconds(5400) + absl::Milliseconds(5));
}

TEST(ProtoDurationTest, RejectsNegativeAndMalformed) {
  google::protobuf::Duration negative;
  negative.set_seconds(-5);
  EXPECT_THAT(FromProtoDuration(negative),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  google::protobuf::Duration mixed_sign;
  mixed_sign.set_seconds(5);
  mixed_sign.set_nanos(-1);
  EXPECT_THAT(FromProtoDuration(mixed_sign),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed")));
  google::protobuf::Duration huge;
  huge.set_seconds(int64_t{1} << 40);
  EXPECT_THAT(FromProtoDuration(huge),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maximum")));
}

}  // namespace
}  // namespace jit::policy
