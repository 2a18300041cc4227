#include "common/proto_time.h"

#include "gtest/gtest.h"

namespace jit {
namespace {

TEST(ProtoTimeTest, RoundTripsAfterEpochAtNanoseconds) {
  const absl::Time t = absl::FromUnixNanos(1'800'000'000'123'456'789);
  const google::protobuf::Timestamp p = ToProtoTimestamp(t);
  EXPECT_EQ(p.seconds(), 1'800'000'000);
  EXPECT_EQ(p.nanos(), 123'456'789);
  EXPECT_EQ(FromProtoTimestamp(p), t);
}

TEST(ProtoTimeTest, TimesBefore1970HaveNonNegativeNanos) {
  const absl::Time t = absl::FromUnixMicros(-1'500'000);  // 1969-12-31T23:59:58.5Z
  const google::protobuf::Timestamp p = ToProtoTimestamp(t);
  EXPECT_EQ(p.seconds(), -2);
  EXPECT_EQ(p.nanos(), 500'000'000);
  EXPECT_EQ(FromProtoTimestamp(p), t);
}

TEST(ProtoTimeTest, InfiniteTimesClampToTheTimestampRange) {
  EXPECT_EQ(ToProtoTimestamp(absl::InfiniteFuture()).seconds(), 253'402'300'799);
  EXPECT_EQ(ToProtoTimestamp(absl::InfiniteFuture()).nanos(), 999'999'999);
  EXPECT_EQ(ToProtoTimestamp(absl::InfinitePast()).seconds(), -62'135'596'800);
  EXPECT_EQ(ToProtoTimestamp(absl::InfinitePast()).nanos(), 0);
}

TEST(ProtoTimeTest, TruncateToMicrosRoundsTowardsThePast) {
  EXPECT_EQ(TruncateToMicros(absl::FromUnixNanos(1'000'001'999)), absl::FromUnixMicros(1'000'001));
  EXPECT_EQ(TruncateToMicros(absl::FromUnixNanos(-1'500)), absl::FromUnixMicros(-2));
}

}  // namespace
}  // namespace jit
