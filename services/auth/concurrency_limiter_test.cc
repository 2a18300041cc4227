#include "services/auth/concurrency_limiter.h"

#include <optional>
#include <thread>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ConcurrencyLimiterTest, GivesOutUpToTheLimitThenShedsWithRetryAdvice) {
  ConcurrencyLimiter limiter({.limit = 2, .max_waiters = 0, .max_per_source = 10});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire());
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot b, limiter.Acquire());
  EXPECT_EQ(limiter.in_use(), 2);
  EXPECT_THAT(limiter.Acquire(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry in 1s")));
}

// A full queue refuses at once, however long max_wait is: a refused login holds no thread.
TEST(ConcurrencyLimiterTest, FullQueueRefusesWithoutWaiting) {
  ConcurrencyLimiter limiter(
      {.limit = 1, .max_waiters = 1, .max_wait = absl::Hours(1), .max_per_source = 10});
  std::optional<ConcurrencyLimiter::Slot> held(*limiter.Acquire("a"));
  std::thread waiter([&] { EXPECT_OK(limiter.Acquire("b").status()); });
  while (limiter.waiting() < 1) std::this_thread::yield();  // the waiter is queued
  EXPECT_THAT(limiter.Acquire("c"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("busy")));
  held.reset();  // the queued one gets the slot
  waiter.join();
  EXPECT_EQ(limiter.in_use(), 0);
  EXPECT_EQ(limiter.waiting(), 0);
}

TEST(ConcurrencyLimiterTest, OneSourceCannotTakeEverySlot) {
  ConcurrencyLimiter limiter({.limit = 10, .max_waiters = 10, .max_per_source = 2});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire("10.0.0.7"));
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot b, limiter.Acquire("10.0.0.7"));
  EXPECT_THAT(limiter.Acquire("10.0.0.7"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this address")));
  EXPECT_OK(limiter.Acquire("10.0.0.8").status());
}

TEST(ConcurrencyLimiterTest, WaitEndsAfterMaxWait) {
  ConcurrencyLimiter limiter({.limit = 1, .max_waiters = 1, .max_wait = absl::ZeroDuration()});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire("a"));
  EXPECT_THAT(limiter.Acquire("b"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(limiter.waiting(), 0);
}

TEST(ConcurrencyLimiterTest, ReleasedSlotIsReusable) {
  ConcurrencyLimiter limiter({.limit = 1, .max_waiters = 0, .max_per_source = 1});
  {
    ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot a, limiter.Acquire("x"));
    std::optional<ConcurrencyLimiter::Slot> moved(std::move(a));
    EXPECT_EQ(limiter.in_use(), 1);
  }
  EXPECT_EQ(limiter.in_use(), 0);
  EXPECT_OK(limiter.Acquire("x").status());
}

TEST(ConcurrencyLimiterTest, SourceOfPeerDropsThePort) {
  EXPECT_EQ(SourceOfPeer("ipv4:10.0.0.7:51234"), "10.0.0.7");
  EXPECT_EQ(SourceOfPeer("ipv6:[::1]:5"), "::1");
  EXPECT_EQ(SourceOfPeer("unix:/tmp/s"), "unix:/tmp/s");
}

}  // namespace
}  // namespace jit::auth
