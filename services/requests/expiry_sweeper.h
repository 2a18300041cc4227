// ExpirySweeper: expires due requests and grants in the background, in every replica, on a
// common PeriodicTask.
//
// A run (SweepOnce) expires due rows in batches (RequestLifecycle::ExpireDue: the store
// claims them FOR UPDATE SKIP LOCKED, so replicas share the work and each row changes once)
// until a batch comes back short, then asks the store for the next due time and sleeps
// until then (PeriodicTask::ShortenNextWait), at most `max_idle` (a due time made by another
// replica is seen by then; expired rows are also never served meanwhile: reads filter by
// time and writes expire what they meet). NoteDue wakes it early for a sooner due time made
// here (a create or an approval). A failed run retries after `retry`. After each run the
// gauges get a sample of the store's counts (`on_counts`).
// Thread-safe; borrows the lifecycle, store and clock.
#ifndef JIT_SERVICES_REQUESTS_EXPIRY_SWEEPER_H_
#define JIT_SERVICES_REQUESTS_EXPIRY_SWEEPER_H_

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/periodic_task.h"
#include "services/requests/request_lifecycle.h"
#include "services/requests/request_store.h"

namespace jit::requests {

struct ExpirySweeperOptions {
  int batch = 100;
  absl::Duration max_idle = absl::Seconds(30);
  absl::Duration retry = absl::Seconds(1);
  std::function<void(const RequestCounts&)> on_counts;  // may be empty
};

class ExpirySweeper {
 public:
  // A sweeper that does not run by itself (tests call SweepOnce).
  ExpirySweeper(RequestLifecycle* lifecycle, RequestStore* store, const Clock* clock,
                ExpirySweeperOptions options)
      : lifecycle_(lifecycle), store_(store), clock_(clock), options_(std::move(options)) {}

  // Starts the background task (first run at once). INVALID_ARGUMENT for bad options.
  absl::Status Start();
  // Stops it; idempotent (also the destructor).
  void Stop();
  ~ExpirySweeper() { Stop(); }

  // One run: expires everything due now; returns how long to sleep (0 < wait <= max_idle),
  // and how many it expired in `*expired` if given.
  absl::Duration SweepOnce(int* expired = nullptr);

  // A request or grant is due at `due`: wake the task if that is before its planned run.
  void NoteDue(absl::Time due);

 private:
  RequestLifecycle* const lifecycle_;
  RequestStore* const store_;
  const Clock* const clock_;
  const ExpirySweeperOptions options_;
  absl::Mutex mu_;
  absl::Time next_run_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_EXPIRY_SWEEPER_H_
