#include "common/clock.h"

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(130));
  clock.SetTime(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(RealClockTest, IsMonotoneEnoughAndNearSystemTime) {
  const Clock& clock = RealClock::Get();
  const absl::Time a = clock.Now();
  const absl::Time b = clock.Now();
  EXPECT_LE(a, b);
  EXPECT_LT(absl::AbsDuration(absl::Now() - b), absl::Seconds(5));
}

}  // namespace
}  // namespace jit
