#include "common/grpc_status.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

TEST(GrpcStatusTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_THAT(FromGrpcStatus(grpc::Status::OK), IsOk());
}

TEST(GrpcStatusTest, CallerErrorsKeepCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::PermissionDeniedError("self-review is not allowed"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "self-review is not allowed");

  s = ToGrpcStatus(absl::UnauthenticatedError("token expired"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(GrpcStatusTest, InternalDetailIsHiddenFromCaller) {
  grpc::Status s =
      ToGrpcStatus(absl::InternalError("SQL error in SELECT secret FROM auth.keys"), "/x/Y");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "internal error");

  s = ToGrpcStatus(absl::DataLossError("/var/lib/key corrupt"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(s.error_message(), "internal error");
}

TEST(GrpcStatusTest, LongMessageIsCutWithItsLength) {
  const std::string name(100'000, 'r');
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("role \"" + name + "\" not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LE(s.error_message().size(), kMaxStatusMessageBytes + 32);
  EXPECT_THAT(s.error_message(), ::testing::EndsWith("... (100017 bytes)"));
}

TEST(GrpcStatusTest, EveryCodeRoundTrips) {
  for (int c = 1; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    absl::Status back = FromGrpcStatus(ToGrpcStatus(absl::Status(code, "m")));
    EXPECT_THAT(back, StatusIs(code)) << c;
  }
}

}  // namespace
}  // namespace jit
