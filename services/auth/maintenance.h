// Background upkeep of the auth schema, run by every replica (each step is idempotent):
// every `interval` the active-session gauge is refreshed; every `cleanup_interval` rows that
// can no longer matter are deleted (sessions expired for `session_grace`, stale login
// failure records, used OIDC states past their expiry, signing keys past their retention).
// The rounds run on a common/periodic_task.h PeriodicTask (jittered, stopped with the
// object). Errors of a round are logged and retried next round.
#ifndef JIT_SERVICES_AUTH_MAINTENANCE_H_
#define JIT_SERVICES_AUTH_MAINTENANCE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/periodic_task.h"
#include "services/auth/auth_metrics.h"
#include "services/auth/oidc/state_store.h"
#include "services/auth/session_store.h"

namespace jit::auth {

struct MaintenanceOptions {
  absl::Duration interval = absl::Seconds(15);
  absl::Duration cleanup_interval = absl::Minutes(10);
};

// A named cleanup step: deletes what is obsolete at `now`, returns how many rows went.
struct CleanupStep {
  std::string name;
  std::function<absl::StatusOr<int64_t>(absl::Time now)> run;
};

// Used OIDC states are remembered this long past their expiry: a replica whose clock is
// behind still accepts the state that long, and must still find it used.
inline constexpr absl::Duration kUsedOidcStateGrace = absl::Minutes(5);

// The step deleting used OIDC states that expired more than kUsedOidcStateGrace ago.
CleanupStep UsedOidcStatesCleanup(oidc::OidcUsedStateStore* store);

class Maintenance {
 public:
  // Borrows everything; starts nothing.
  Maintenance(MaintenanceOptions options, SessionStore* sessions, AuthMetrics* metrics,
              std::vector<CleanupStep> cleanup, const Clock* clock)
      : options_(options),
        sessions_(sessions),
        metrics_(metrics),
        cleanup_(std::move(cleanup)),
        clock_(clock) {}
  ~Maintenance();

  // One round (tests call it directly): the gauge, and the cleanup when `with_cleanup`.
  void RunOnce(bool with_cleanup);

  // Starts the rounds (the first at once; idempotent). Stopped by the destructor.
  // INVALID_ARGUMENT for a non-positive interval.
  absl::Status Start();

 private:
  const MaintenanceOptions options_;
  SessionStore* const sessions_;
  AuthMetrics* const metrics_;
  const std::vector<CleanupStep> cleanup_;
  const Clock* const clock_;
  absl::Time last_cleanup_ = absl::InfinitePast();  // touched by the task's thread only
  std::unique_ptr<PeriodicTask> task_;              // last: stops first
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_MAINTENANCE_H_
