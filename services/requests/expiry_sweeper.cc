#include "services/requests/expiry_sweeper.h"

#include <algorithm>

#include "spdlog/spdlog.h"

namespace jit::requests {

absl::Status ExpirySweeper::Start() {
  if (options_.batch < 1 || options_.max_idle <= absl::ZeroDuration() ||
      options_.retry <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("expiry sweeper: batch, max_idle and retry must be > 0");
  }
  absl::StatusOr<std::unique_ptr<PeriodicTask>> task =
      PeriodicTask::Start({.name = "expiry_sweeper",
                           .interval = options_.max_idle,
                           .jitter = 0.1,
                           .run_at_start = false},
                          [this] {
                            const absl::Duration wait = SweepOnce();
                            task_->ShortenNextWait(wait);
                          });
  if (!task.ok()) return task.status();
  task_ = *std::move(task);
  task_->Wake();  // the first run, now that task_ is set
  return absl::OkStatus();
}

void ExpirySweeper::Stop() {
  if (task_ != nullptr) task_->Stop();
}

absl::Duration ExpirySweeper::SweepOnce(int* expired) {
  int total = 0;
  absl::Duration wait = options_.max_idle;
  for (;;) {
    absl::StatusOr<int> n = lifecycle_->ExpireDue(options_.batch);
    if (!n.ok()) {
      spdlog::warn("expiry sweep failed: {}", n.status().ToString());
      wait = options_.retry;
      break;
    }
    total += *n;
    if (*n < options_.batch) break;
  }
  const absl::Time now = clock_->Now();
  if (wait != options_.retry) {
    absl::StatusOr<std::optional<absl::Time>> next = store_->NextDueTime();
    if (!next.ok()) {
      wait = options_.retry;
    } else if (next->has_value()) {
      // A row still due now is held by someone else (skipped): try again shortly.
      wait = std::clamp(**next - now, options_.retry / 10, options_.max_idle);
    }
  }
  if (options_.on_counts) {
    absl::StatusOr<RequestCounts> counts = store_->Counts(now);
    if (counts.ok()) options_.on_counts(*counts);
  }
  {
    absl::MutexLock lock(&mu_);
    next_run_ = now + wait;
  }
  if (total > 0) spdlog::info("expiry sweep: {} requests or grants expired", total);
  if (expired != nullptr) *expired = total;
  return wait;
}

void ExpirySweeper::NoteDue(absl::Time due) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    if (due < next_run_) {
      next_run_ = due;
      wake = true;
    }
  }
  // Wake now: the run computes the exact wait until `due` from the store.
  if (wake && task_ != nullptr) task_->Wake();
}

}  // namespace jit::requests
