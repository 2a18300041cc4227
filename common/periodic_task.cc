#include "common/periodic_task.h"

#include <algorithm>
#include <random>
#include <utility>

namespace jit {

absl::StatusOr<std::unique_ptr<PeriodicTask>> PeriodicTask::Start(PeriodicTaskOptions options,
                                                                  std::function<void()> run) {
  if (options.interval <= absl::ZeroDuration() || options.interval == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("periodic task " + options.name +
                                      ": interval must be positive and finite");
  }
  if (!(options.jitter >= 0 && options.jitter < 1)) {
    return absl::InvalidArgumentError("periodic task " + options.name +
                                      ": jitter must be in [0, 1)");
  }
  if (!run) return absl::InvalidArgumentError("periodic task " + options.name + ": no function");
  std::unique_ptr<PeriodicTask> task(new PeriodicTask(std::move(options), std::move(run)));
  task->thread_ = std::thread([t = task.get()] { t->Loop(); });
  return task;
}

PeriodicTask::~PeriodicTask() { Stop(); }

absl::Duration PeriodicTask::JitteredWait(absl::Duration interval, double jitter, double u01) {
  return interval * (1.0 + jitter * (2.0 * u01 - 1.0));
}

void PeriodicTask::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void PeriodicTask::ShortenNextWait(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  next_wait_cap_ = std::min(next_wait_cap_, std::max(d, absl::ZeroDuration()));
}

void PeriodicTask::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

int64_t PeriodicTask::runs() const {
  absl::MutexLock lock(&mu_);
  return runs_;
}

void PeriodicTask::Loop() {
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  bool run_now = options_.run_at_start;
  while (true) {
    if (!run_now) {
      absl::Duration wait = JitteredWait(options_.interval, options_.jitter, u01(random));
      absl::MutexLock lock(&mu_);
      wait = std::min(wait, next_wait_cap_);
      next_wait_cap_ = absl::InfiniteDuration();
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](PeriodicTask* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu_) {
                                 return t->woken_ || t->stopping_;
                               },
                               this),
                           wait);
    }
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      woken_ = false;
    }
    run_();
    {
      absl::MutexLock lock(&mu_);
      ++runs_;
    }
    run_now = false;
  }
}

}  // namespace jit
