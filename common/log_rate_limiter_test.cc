#include "common/log_rate_limiter.h"

#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

using ::testing::Optional;

TEST(LogRateLimiterTest, AdmitsABurstPerWindowAndCountsTheRest) {
  FakeClock clock;
  LogRateLimiter limiter(clock, 3, absl::Seconds(1));
  EXPECT_THAT(limiter.Admit(), Optional(0u));
  EXPECT_THAT(limiter.Admit(), Optional(0u));
  EXPECT_THAT(limiter.Admit(), Optional(0u));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Admit(), std::nullopt);
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(limiter.Admit(), Optional(1000u));  // the next line says what was left out
  EXPECT_THAT(limiter.Admit(), Optional(0u));
}

TEST(LogRateLimiterTest, NoteNamesTheSuppressedCount) {
  EXPECT_EQ(SuppressedNote(0), "");
  EXPECT_EQ(SuppressedNote(42), " (42 similar lines suppressed)");
}

}  // namespace
}  // namespace jit
