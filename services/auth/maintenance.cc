#include "services/auth/maintenance.h"

#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {

CleanupStep UsedOidcStatesCleanup(oidc::OidcUsedStateStore* store) {
  return {"oidc_used_states",
          [store](absl::Time now) { return store->DeleteExpired(now - kUsedOidcStateGrace); }};
}

Maintenance::~Maintenance() { task_.reset(); }

void Maintenance::RunOnce(bool with_cleanup) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<int64_t> active = sessions_->CountActive(now);
  if (active.ok()) {
    metrics_->SetActiveSessions(*active);
  } else {
    spdlog::warn("counting active sessions failed: {}", LogSafe(active.status().ToString(), 256));
  }
  if (!with_cleanup) return;
  for (const CleanupStep& step : cleanup_) {
    absl::StatusOr<int64_t> removed = step.run(now);
    if (!removed.ok()) {
      spdlog::warn("cleanup {} failed: {}", step.name, LogSafe(removed.status().ToString(), 256));
    } else if (*removed > 0) {
      spdlog::info("cleanup {}: {} rows removed", step.name, *removed);
    }
  }
}

absl::Status Maintenance::Start() {
  if (task_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<PeriodicTask>> task =
      PeriodicTask::Start({.name = "auth maintenance", .interval = options_.interval}, [this] {
        const bool cleanup = clock_->Now() - last_cleanup_ >= options_.cleanup_interval;
        RunOnce(cleanup);
        if (cleanup) last_cleanup_ = clock_->Now();
      });
  if (!task.ok()) return task.status();
  task_ = *std::move(task);
  return absl::OkStatus();
}

}  // namespace jit::auth
