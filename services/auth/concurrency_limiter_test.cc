#include "services/auth/concurrency_limiter.h"

#include <optional>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;

TEST(ConcurrencyLimiterTest, GivesOutUpToTheLimitThenUnavailable) {
  ConcurrencyLimiter limiter(2, absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire());
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot b, limiter.Acquire());
  EXPECT_EQ(limiter.in_use(), 2);
  EXPECT_THAT(limiter.Acquire(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ConcurrencyLimiterTest, ReleasedSlotIsReusable) {
  ConcurrencyLimiter limiter(1, absl::ZeroDuration());
  {
    ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire());
    std::optional<ConcurrencyLimiter::Slot> moved(std::move(a));
    EXPECT_EQ(limiter.in_use(), 1);
  }
  EXPECT_EQ(limiter.in_use(), 0);
  EXPECT_OK(limiter.Acquire().status());
}

}  // namespace
}  // namespace jit::auth
