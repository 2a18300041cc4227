#include "common/status_macros.h"

#include <memory>
#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status Fails() { return absl::NotFoundError("no such role"); }
absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status CallsFails(bool* reached_end) {
  RETURN_IF_ERROR(Fails());
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::StatusOr<std::unique_ptr<std::string>> MakeMoveOnly(bool ok) {
  if (!ok) return absl::UnavailableError("down");
  return std::make_unique<std::string>("value");
}

absl::StatusOr<std::string> UsesMoveOnly(bool ok) {
  ASSIGN_OR_RETURN(auto ptr, MakeMoveOnly(ok));
  return *ptr;
}

TEST(StatusMacrosTest, ReturnIfErrorPropagatesAndStops) {
  bool reached_end = false;
  EXPECT_THAT(CallsFails(&reached_end), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(reached_end);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsValues) {
  EXPECT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(*Quarter(8), 2);
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("odd")));
  EXPECT_THAT(Quarter(3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusMacrosTest, AssignOrReturnWorksWithMoveOnlyTypes) {
  EXPECT_EQ(*UsesMoveOnly(true), "value");
  EXPECT_THAT(UsesMoveOnly(false), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusMatchersTest, MatchersDistinguishCodes) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::InternalError("x"), Not(IsOk()));
  EXPECT_THAT(absl::InternalError("x"), Not(StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(absl::InternalError("boom"),
              Not(StatusIs(absl::StatusCode::kInternal, HasSubstr("bang"))));
}

TEST(StatusMatchersTest, IsOkAndHoldsChecksStatusAndValue) {
  EXPECT_THAT(Half(8), jit::testing::IsOkAndHolds(4));
  EXPECT_THAT(Half(8), Not(jit::testing::IsOkAndHolds(5)));
  EXPECT_THAT(Half(3), Not(jit::testing::IsOkAndHolds(1)));
}

}  // namespace
}  // namespace jit
