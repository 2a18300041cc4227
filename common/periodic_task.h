// PeriodicTask: the one way services run background upkeep. Runs a function on its own
// thread every `interval` (each wait jittered, so replicas do not hit the database in step)
// until stopped; Wake() asks for a run now (several wakes before a run cause one run; a wake
// during a run causes one more after it). Runs never overlap.
//   ASSIGN_OR_RETURN(task_, PeriodicTask::Start({.name = "maintenance",
//                                                .interval = absl::Seconds(15)}, [this] { RunOnce(); }));
// Stop() (also the destructor) waits for a run in progress and starts no other; idempotent;
// the function is never called after it returns. Waits use monotonic time and decide nothing.
// Thread-safe: Wake and Stop may be called from any thread, also from the function (Stop from
// inside only marks the task stopped).
#ifndef JIT_COMMON_PERIODIC_TASK_H_
#define JIT_COMMON_PERIODIC_TASK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jit {

struct PeriodicTaskOptions {
  std::string name;  // for logs
  // Time between the end of one run and the start of the next. > 0.
  absl::Duration interval;
  // Each wait is interval * (1 + u), u uniform in [-jitter, +jitter]. 0 <= jitter < 1.
  double jitter = 0.1;
  // Whether the first run starts at once (else after the first wait).
  bool run_at_start = true;
};

class PeriodicTask {
 public:
  // Starts the thread. INVALID_ARGUMENT for a non-positive interval, a jitter outside
  // [0, 1) or an empty `run`.
  static absl::StatusOr<std::unique_ptr<PeriodicTask>> Start(PeriodicTaskOptions options,
                                                             std::function<void()> run);

  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Wake();
  void Stop();
  // The next wait (after the run in progress, or after the next run if none is) lasts at
  // most `d`, jitter aside: for a task that knows when it is due again (the requests expiry
  // sweeper calls it from its run). Later calls before that wait keep the shortest.
  void ShortenNextWait(absl::Duration d);

  // Runs completed so far.
  int64_t runs() const;

  // The wait for `interval` and `jitter` given a uniform draw `u01` in [0, 1).
  static absl::Duration JitteredWait(absl::Duration interval, double jitter, double u01);

 private:
  PeriodicTask(PeriodicTaskOptions options, std::function<void()> run)
      : options_(std::move(options)), run_(std::move(run)) {}

  void Loop();

  const PeriodicTaskOptions options_;
  const std::function<void()> run_;
  mutable absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration next_wait_cap_ ABSL_GUARDED_BY(mu_) = absl::InfiniteDuration();
  int64_t runs_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace jit

#endif  // JIT_COMMON_PERIODIC_TASK_H_
