#include "services/auth/maintenance.h"

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/auth/oidc/state_store.h"
#include "services/auth/oidc/testing/in_memory_oidc_used_state_store.h"
#include "services/auth/testing/in_memory_stores.h"

namespace jit::auth {
namespace {

using ::jit::auth::oidc::testing::InMemoryOidcUsedStateStore;

SessionRecord Session(const std::string& id, absl::Time now, absl::Duration ttl) {
  return {.id = id,
          .user = "alice",
          .auth_method = "local",
          .issue_time = now,
          .expire_time = now + ttl};
}

TEST(MaintenanceTest, RoundRefreshesTheGaugeAndCleansUpOnlyWhenAsked) {
  FakeClock clock;
  audit::testing::InMemoryAuditOutbox audit;
  testing::InMemorySessionStore sessions(&audit);
  sessions.SetUserGeneration("alice", 1);
  ASSERT_TRUE(sessions.Create(Session("a", clock.Now(), absl::Hours(1)), 1, {}).ok());
  ASSERT_TRUE(sessions.Create(Session("b", clock.Now(), absl::Hours(2)), 1, {}).ok());
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  int cleanups = 0;
  Maintenance maintenance(
      {}, &sessions, &metrics,
      {{"count",
        [&](absl::Time) -> absl::StatusOr<int64_t> {
          ++cleanups;
          return 0;
        }},
       {"broken",
        [&](absl::Time) -> absl::StatusOr<int64_t> { return absl::UnavailableError("down"); }}},
      &clock);
  maintenance.RunOnce(/*with_cleanup=*/false);
  EXPECT_EQ(metrics.active_sessions(), 2);
  EXPECT_EQ(cleanups, 0);
  clock.Advance(absl::Minutes(90));
  maintenance.RunOnce(/*with_cleanup=*/true);
  EXPECT_EQ(metrics.active_sessions(), 1);
  EXPECT_EQ(cleanups, 1);  // and the broken step did not stop the round
}

TEST(MaintenanceTest, StartRunsTheFirstRoundWithCleanupAtOnce) {
  FakeClock clock;
  audit::testing::InMemoryAuditOutbox audit;
  testing::InMemorySessionStore sessions(&audit);
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  absl::Notification cleaned;
  Maintenance maintenance({.interval = absl::Hours(1)}, &sessions, &metrics,
                          {{"signal",
                            [&](absl::Time) -> absl::StatusOr<int64_t> {
                              if (!cleaned.HasBeenNotified()) cleaned.Notify();
                              return 0;
                            }}},
                          &clock);
  ASSERT_OK(maintenance.Start());
  EXPECT_TRUE(cleaned.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_THAT(
      Maintenance({.interval = absl::ZeroDuration()}, &sessions, &metrics, {}, &clock).Start(),
      jit::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MaintenanceTest, StoreDownKeepsTheLastValue) {
  FakeClock clock;
  audit::testing::InMemoryAuditOutbox audit;
  testing::InMemorySessionStore sessions(&audit);
  sessions.SetUserGeneration("alice", 1);
  ASSERT_TRUE(sessions.Create(Session("a", clock.Now(), absl::Hours(1)), 1, {}).ok());
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  Maintenance maintenance({}, &sessions, &metrics, {}, &clock);
  maintenance.RunOnce(false);
  sessions.SetUnavailable(true);
  maintenance.RunOnce(false);
  EXPECT_EQ(metrics.active_sessions(), 1);
}

TEST(MaintenanceTest, CleanupForgetsUsedOidcStatesOnlyPastTheGrace) {
  FakeClock clock;
  audit::testing::InMemoryAuditOutbox audit;
  testing::InMemorySessionStore sessions(&audit);
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  InMemoryOidcUsedStateStore used;
  ASSERT_OK(used.MarkUsed("long-gone", clock.Now() - kUsedOidcStateGrace - absl::Seconds(1)));
  ASSERT_OK(used.MarkUsed("just-expired", clock.Now() - absl::Seconds(1)));
  ASSERT_OK(used.MarkUsed("live", clock.Now() + absl::Minutes(5)));
  Maintenance maintenance({}, &sessions, &metrics, {UsedOidcStatesCleanup(&used)}, &clock);
  maintenance.RunOnce(/*with_cleanup=*/true);
  EXPECT_EQ(used.size(), 2u);
  // A replica whose clock is behind may still accept the state just expired: still used.
  EXPECT_THAT(used.MarkUsed("just-expired", clock.Now()),
              ::jit::testing::StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace jit::auth
