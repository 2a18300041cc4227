// NotificationWorker: delivers the notification queue to the sinks, in every replica.
// RunBatch claims due rows (leased, SKIP LOCKED), posts each sink's call (sink_payloads.h)
// with the configured timeout and records the outcome (Classify): 2xx sent; 429, 5xx and
// transport errors retried after Backoff (Retry-After honoured) or dead-lettered after
// max_attempts; other statuses failed with the reason; an unconfigured sink failed. A worker
// killed mid-send leaves its rows leased; they are sent again, same key, when the lease ends.
// Start runs it on a PeriodicTask (poll_interval; Wake after a commit), samples the depth and
// deletes rows finished `retention` ago. Metrics with bounded labels (sink_kind) are listed in
// services/requests/README.md; reasons and logs never hold a URL, key or secret.
// Thread-safe; borrows the queue, client, config, clock and registry.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_WORKER_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_WORKER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/http/http_client.h"
#include "common/periodic_task.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notify_config.h"

namespace jit::requests::notify {

struct DeliveryOutcome {
  // kSent, kFailed, or kPending (retry).
  NotificationState state = NotificationState::kPending;
  absl::Duration retry_after = absl::ZeroDuration();  // the sink's Retry-After, if any
  std::string reason;                                 // never a URL or secret
};

// The outcome of one attempt's answer (see above).
DeliveryOutcome Classify(const absl::StatusOr<http::HttpResponse>& response);

// The wait before attempt `attempts` + 1: equal jitter over min_backoff * 2^(attempts-1)
// capped at max_backoff (half fixed, half u01-random), and never less than `retry_after`
// (itself capped at one hour).
absl::Duration Backoff(int attempts, absl::Duration min_backoff, absl::Duration max_backoff,
                       absl::Duration retry_after, double u01);

struct NotificationWorkerOptions {
  int batch = 32;  // 1..1000
  // How long a claim holds its rows; 0 = send_timeout * batch + 10s.
  absl::Duration lease = absl::ZeroDuration();
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration gauge_interval = absl::Seconds(5);
};

class NotificationWorker {
 public:
  // INVALID_ARGUMENT for a bad option.
  static absl::StatusOr<std::unique_ptr<NotificationWorker>> Create(
      PostgresNotificationQueue* queue, http::HttpClient* http, const NotifyConfig* config,
      const Clock* clock, prometheus::Registry* registry, NotificationWorkerOptions options = {});
  ~NotificationWorker();

  // Claims and delivers one batch; the number of rows claimed.
  absl::StatusOr<int> RunBatch();

  // The parts of RunBatch, for tests (a worker "killed" after Deliver never records).
  absl::StatusOr<std::vector<QueuedNotification>> Claim();
  DeliveryOutcome Deliver(const QueuedNotification& n);
  absl::Status Record(const QueuedNotification& n, const DeliveryOutcome& outcome);

  absl::Status Start();
  void Stop();
  // Asks for a run now (e.g. after a commit that queued rows).
  void Wake();

  void SetJitterForTest(std::function<double()> jitter);

 private:
  NotificationWorker(PostgresNotificationQueue* queue, http::HttpClient* http,
                     const NotifyConfig* config, const Clock* clock, prometheus::Registry* registry,
                     NotificationWorkerOptions options);
  void RunOnce();
  std::string_view KindOf(const std::string& sink) const;

  PostgresNotificationQueue* const queue_;
  http::HttpClient* const http_;
  const NotifyConfig* const config_;
  const Clock* const clock_;
  const NotificationWorkerOptions options_;

  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& dead_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Gauge& depth_;

  absl::Mutex mu_;
  absl::Time next_upkeep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::function<double()> jitter_ ABSL_GUARDED_BY(mu_);
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<PeriodicTask> task_;  // last: stops first
};

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_WORKER_H_
