#include "services/ca/join/redemption_limiter.h"

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace jit::ca::join {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

TEST(RedemptionLimiterTest, EachAddressHasItsOwnBucket) {
  FakeClock clock;
  RedemptionLimiter limiter(&clock, {.per_address = 2, .total = 100});
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), IsOk());
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), IsOk());
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.2"), IsOk());
  clock.Advance(absl::Seconds(30));  // half a window refills one of two
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), IsOk());
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RedemptionLimiterTest, TheTotalHoldsAcrossAddresses) {
  FakeClock clock;
  RedemptionLimiter limiter(&clock, {.per_address = 10, .total = 3});
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.1"), IsOk());
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.2"), IsOk());
  EXPECT_THAT(limiter.Admit(""), IsOk());
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.4"), StatusIs(absl::StatusCode::kResourceExhausted));
  clock.Advance(absl::Minutes(1));
  EXPECT_THAT(limiter.Admit("ipv4:10.0.0.4"), IsOk());
}

TEST(RedemptionLimiterTest, MemoryIsBounded) {
  FakeClock clock;
  RedemptionLimiter limiter(&clock, {.per_address = 1, .total = 1000, .max_addresses = 2});
  EXPECT_THAT(limiter.Admit("a"), IsOk());
  EXPECT_THAT(limiter.Admit("b"), IsOk());
  EXPECT_THAT(limiter.Admit("c"), IsOk());  // forgets a and b (neither had refilled: all)
  EXPECT_THAT(limiter.Admit("c"), StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace jit::ca::join
