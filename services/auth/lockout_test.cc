#include "services/auth/lockout.h"

#include <vector>

#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/in_memory_login_attempt_store.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::InMemoryLoginAttemptStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class LockoutTest : public ::testing::Test {
 protected:
  void SetUp() override { throttle_ = *LoginThrottle::Create({}, &store_, &clock_); }
  // `n` attempts that fail (counted when they begin, nothing more to do).
  void Fail(int n, std::string_view user = "alice") {
    for (int i = 0; i < n; ++i) ASSERT_THAT(throttle_->BeginAttempt(user), IsOk());
  }
  int Count(std::string_view user = "alice") { return store_.Get(user)->count; }

  FakeClock clock_;
  InMemoryLoginAttemptStore store_;
  std::unique_ptr<LoginThrottle> throttle_;
};

TEST_F(LockoutTest, FourFailuresDoNotLock) {
  Fail(4);
  EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk());
  EXPECT_THAT(throttle_->BeginAttempt("alice"), IsOk());
}

TEST_F(LockoutTest, FifthFailureLocksForOneMinute) {
  Fail(5);
  EXPECT_THAT(throttle_->BeginAttempt("alice"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "too many failed login attempts; retry in 60 s"));
  clock_.Advance(absl::Seconds(59));
  EXPECT_THAT(throttle_->BeginAttempt("alice"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("retry in 1 s")));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(throttle_->BeginAttempt("alice"), IsOk());
}

TEST_F(LockoutTest, AttemptsInFlightCountBeforeTheyEnd) {
  // Five attempts begun (hashing in parallel), none ended yet: a sixth is refused.
  std::vector<LoginAttempt> in_flight;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(LoginAttempt a, throttle_->BeginAttempt("alice"));
    in_flight.push_back(std::move(a));
  }
  EXPECT_THAT(throttle_->BeginAttempt("alice"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too many")));
}

TEST_F(LockoutTest, AttemptsRefusedWhileLockedAreNotCounted) {
  Fail(5);
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(throttle_->BeginAttempt("alice"), StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_EQ(Count(), 5);
  clock_.Advance(absl::Minutes(1));  // the first lock, not extended
  EXPECT_THAT(throttle_->BeginAttempt("alice"), IsOk());
}

TEST_F(LockoutTest, BackOffDoublesAndIsCapped) {
  Fail(5);
  const absl::Duration expected[] = {absl::Minutes(2),  absl::Minutes(4),  absl::Minutes(8),
                                     absl::Minutes(15), absl::Minutes(15), absl::Minutes(15)};
  for (absl::Duration lock : expected) {
    // Wait out the current lock, then fail once more.
    while (!throttle_->CheckAllowed("alice").ok()) clock_.Advance(absl::Seconds(10));
    ASSERT_THAT(throttle_->BeginAttempt("alice"), IsOk());
    clock_.Advance(lock - absl::Seconds(1));
    EXPECT_THAT(throttle_->CheckAllowed("alice"), StatusIs(absl::StatusCode::kUnauthenticated))
        << absl::FormatDuration(lock);
    clock_.Advance(absl::Seconds(1));
    EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk()) << absl::FormatDuration(lock);
  }
}

TEST_F(LockoutTest, QuietWindowForgetsFailures) {
  Fail(4);
  clock_.Advance(absl::Minutes(15) + absl::Seconds(1));
  Fail(4);
  EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk());
}

TEST_F(LockoutTest, FailuresWithinTheWindowOfEachOtherAccumulate) {
  for (int i = 0; i < 5; ++i) {
    Fail(1);
    clock_.Advance(absl::Minutes(14));
  }
  // 56 minutes in total, but never a 15-minute pause: locked (until 1 min after the last).
  clock_.SetTime(clock_.Now() - absl::Minutes(14));
  EXPECT_THAT(throttle_->CheckAllowed("alice"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(LockoutTest, SuccessClearsTheRecord) {
  Fail(4);
  ASSERT_OK_AND_ASSIGN(LoginAttempt right, throttle_->BeginAttempt("alice"));
  ASSERT_THAT(throttle_->AttemptSucceeded(right), IsOk());
  EXPECT_EQ(Count(), 0);
  Fail(4);
  EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk());
}

TEST_F(LockoutTest, RefundedAttemptDoesNotCount) {
  Fail(3);
  const absl::Time fourth = clock_.Now() + absl::Seconds(5);
  clock_.SetTime(fourth);
  Fail(1);
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(LoginAttempt outage, throttle_->BeginAttempt("alice"));
  EXPECT_THAT(throttle_->CheckAllowed("alice"), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_THAT(throttle_->RefundAttempt(outage), IsOk());
  ASSERT_OK_AND_ASSIGN(LoginFailures after, store_.Get("alice"));
  EXPECT_EQ(after.count, 4);
  EXPECT_EQ(after.last_failure, fourth);
  EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk());
}

TEST_F(LockoutTest, RefundKeepsTheFailuresCountedSince) {
  Fail(2);
  ASSERT_OK_AND_ASSIGN(LoginAttempt outage, throttle_->BeginAttempt("alice"));
  clock_.Advance(absl::Seconds(5));
  Fail(1);
  ASSERT_THAT(throttle_->RefundAttempt(outage), IsOk());
  ASSERT_OK_AND_ASSIGN(LoginFailures after, store_.Get("alice"));
  EXPECT_EQ(after.count, 3);
  EXPECT_EQ(after.last_failure, clock_.Now());
}

TEST_F(LockoutTest, RefundNeverTakesAFailureOfALaterRun) {
  // An attempt begun before a success cleared the record ends after new failures began.
  ASSERT_OK_AND_ASSIGN(LoginAttempt outage, throttle_->BeginAttempt("alice"));
  ASSERT_OK_AND_ASSIGN(LoginAttempt right, throttle_->BeginAttempt("alice"));
  ASSERT_THAT(throttle_->AttemptSucceeded(right), IsOk());
  Fail(5);
  ASSERT_THAT(throttle_->RefundAttempt(outage), IsOk());
  EXPECT_EQ(Count(), 5);
  EXPECT_THAT(throttle_->CheckAllowed("alice"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(LockoutTest, UsersAreIndependentAndUnknownNamesLockAlike) {
  Fail(5, "no-such-user");
  EXPECT_THAT(throttle_->BeginAttempt("no-such-user"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "too many failed login attempts; retry in 60 s"));
  EXPECT_THAT(throttle_->CheckAllowed("alice"), IsOk());
}

TEST_F(LockoutTest, StoreErrorsPropagate) {
  class DownStore final : public LoginAttemptStore {
   public:
    absl::StatusOr<LoginFailures> Get(std::string_view) override {
      return absl::UnavailableError("db down");
    }
    absl::StatusOr<AttemptReservation> Reserve(std::string_view, absl::Time,
                                               const LockoutPolicy&) override {
      return absl::UnavailableError("db down");
    }
    absl::Status Refund(std::string_view, const AttemptReservation&) override {
      return absl::UnavailableError("db down");
    }
    absl::Status Clear(std::string_view) override { return absl::UnavailableError("db down"); }
  } down;
  auto throttle = *LoginThrottle::Create({}, &down, &clock_);
  EXPECT_THAT(throttle->CheckAllowed("alice"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(throttle->BeginAttempt("alice"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(LockoutCreateTest, RejectsBadPolicy) {
  FakeClock clock;
  InMemoryLoginAttemptStore store;
  EXPECT_THAT(LoginThrottle::Create({.max_failures = 0}, &store, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoginThrottle::Create({.window = absl::ZeroDuration()}, &store, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      LoginThrottle::Create({.base_lockout = absl::Minutes(5), .max_lockout = absl::Minutes(1)},
                            &store, &clock),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoginThrottle::Create({.max_lockout = absl::Minutes(16)}, &store, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
