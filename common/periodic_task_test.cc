#include "common/periodic_task.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

using ::jit::testing::StatusIs;

// Waits (bounded) until `task` completed at least `n` runs.
bool AwaitRuns(PeriodicTask& task, int64_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (task.runs() < n) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));  // polling for an event, not waiting for time
  }
  return true;
}

TEST(PeriodicTaskTest, RunsAtStartThenEveryInterval) {
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(
      auto task,
      PeriodicTask::Start({.name = "t", .interval = absl::Milliseconds(1)}, [&] { ++calls; }));
  EXPECT_TRUE(AwaitRuns(*task, 5));
  task->Stop();
  EXPECT_GE(calls.load(), 5);
}

TEST(PeriodicTaskTest, WakeRunsWithoutWaitingForTheInterval) {
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(
      auto task,
      PeriodicTask::Start({.name = "t", .interval = absl::Hours(1), .run_at_start = false},
                          [&] { ++calls; }));
  EXPECT_EQ(task->runs(), 0);
  task->Wake();
  EXPECT_TRUE(AwaitRuns(*task, 1));
  task->Wake();
  EXPECT_TRUE(AwaitRuns(*task, 2));
  EXPECT_EQ(calls.load(), 2);
}

TEST(PeriodicTaskTest, AShortenedWaitRunsAgainBeforeTheInterval) {
  PeriodicTask* self = nullptr;
  absl::Notification started;
  ASSERT_OK_AND_ASSIGN(auto task,
                       PeriodicTask::Start({.name = "t", .interval = absl::Hours(1)}, [&] {
                         started.WaitForNotification();
                         self->ShortenNextWait(absl::Milliseconds(1));
                       }));
  self = task.get();
  started.Notify();
  EXPECT_TRUE(AwaitRuns(*task, 3));  // an hour apart without it
}

TEST(PeriodicTaskTest, AWakeDuringARunCausesExactlyOneMoreRun) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(auto task,
                       PeriodicTask::Start({.name = "t", .interval = absl::Hours(1)}, [&] {
                         if (++calls == 1) {
                           entered.Notify();
                           release.WaitForNotification();
                         }
                       }));
  entered.WaitForNotification();
  task->Wake();
  task->Wake();
  task->Wake();
  release.Notify();
  EXPECT_TRUE(AwaitRuns(*task, 2));
  task->Stop();
  EXPECT_EQ(calls.load(), 2);
}

TEST(PeriodicTaskTest, StopWaitsForTheRunInProgress) {
  absl::Notification entered, release;
  std::atomic<bool> finished{false};
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(auto task,
                       PeriodicTask::Start({.name = "t", .interval = absl::Hours(1)}, [&] {
                         if (++calls > 1) return;
                         entered.Notify();
                         release.WaitForNotification();
                         finished = true;
                       }));
  entered.WaitForNotification();
  std::thread stopper([&] { task->Stop(); });
  release.Notify();
  stopper.join();
  EXPECT_TRUE(finished.load());  // Stop returned only after the run did
  EXPECT_EQ(calls.load(), 1);
  task->Stop();  // idempotent
}

TEST(PeriodicTaskTest, NoRunStartsAfterStopEvenWhenWoken) {
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(
      auto task,
      PeriodicTask::Start({.name = "t", .interval = absl::Hours(1), .run_at_start = false},
                          [&] { ++calls; }));
  task->Stop();
  task->Wake();
  task.reset();
  EXPECT_EQ(calls.load(), 0);
}

TEST(PeriodicTaskTest, DestructionStopsAnIdleTaskAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto task,
                       PeriodicTask::Start({.name = "t", .interval = absl::Hours(24)}, [] {}));
  EXPECT_TRUE(AwaitRuns(*task, 1));
  task.reset();  // would hang for a day if the wait were not interrupted
}

TEST(PeriodicTaskTest, JitterSpreadsTheWaitAroundTheInterval) {
  const absl::Duration i = absl::Seconds(10);
  EXPECT_EQ(PeriodicTask::JitteredWait(i, 0.1, 0.0), absl::Seconds(9));
  EXPECT_EQ(PeriodicTask::JitteredWait(i, 0.1, 0.5), absl::Seconds(10));
  EXPECT_EQ(PeriodicTask::JitteredWait(i, 0.1, 0.75), absl::Milliseconds(10500));
  EXPECT_EQ(PeriodicTask::JitteredWait(i, 0.0, 0.99), i);
}

TEST(PeriodicTaskTest, BadOptionsAreRefused) {
  EXPECT_THAT(PeriodicTask::Start({.name = "t", .interval = absl::ZeroDuration()}, [] {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      PeriodicTask::Start({.name = "t", .interval = absl::Seconds(1), .jitter = 1.0}, [] {}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PeriodicTask::Start({.name = "t", .interval = absl::Seconds(1)}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit
