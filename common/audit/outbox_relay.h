// OutboxRelay: delivers a service's audit outbox (<schema>.audit_outbox) to the audit
// service, in every replica. DeliverOnce claims the lowest undelivered rows (FOR UPDATE SKIP
// LOCKED, at most batch_size), sends them in one IngestEvents call and marks them delivered
// on acknowledgement, in one transaction; a relay whose claim does not start at the lowest
// undelivered row sends nothing, so batches reach the sink in sequence order. At least once
// (the sink deduplicates by event id). Start() runs it on a PeriodicTask with full-jitter
// back-off after a failure, samples the gauges and deletes delivered rows after `retention`.
// Metrics (jit_<schema>_): audit_outbox_depth, _oldest_undelivered_seconds, _delivered_total,
// _delivery_failures_total{code}. Errors: the sink's and the database's; DATA_LOSS for a row
// that does not parse; nothing is marked delivered on any error (a refused batch blocks the
// outbox until fixed). Thread-safe; borrows the pool, client, clock and registry.
#ifndef JIT_COMMON_AUDIT_OUTBOX_RELAY_H_
#define JIT_COMMON_AUDIT_OUTBOX_RELAY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db/pg_pool.h"
#include "common/periodic_task.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/audit/client/audit_client.h"

namespace jit::audit {

struct OutboxRelayOptions {
  // The service's schema, which holds its audit_outbox ("auth", "policy", ...).
  std::string schema;
  // Rows per IngestEvents call: 1 to 1000 (the sink's batch cap).
  int batch_size = 500;
  // Pause after a short or empty batch. > 0.
  absl::Duration idle_interval = absl::Milliseconds(500);
  // Back-off after failures: full jitter over min_backoff * 2^(failures-1), capped.
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // Delivered rows older than this are deleted. > 0.
  absl::Duration retention = absl::Hours(24);
  absl::Duration gauge_interval = absl::Seconds(5);
  absl::Duration cleanup_interval = absl::Minutes(1);
};

class OutboxRelay {
 public:
  // INVALID_ARGUMENT naming the bad option.
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Create(db::PgPool* pool, AuditClient* sink,
                                                             const Clock* clock,
                                                             prometheus::Registry* registry,
                                                             OutboxRelayOptions options);

  // Delivers at most one batch; the number of events delivered (0: nothing to do, or
  // another replica is delivering earlier rows).
  absl::StatusOr<int> DeliverOnce();

  // The pause before the next DeliverOnce after `outcome` (and counts failures for the
  // back-off; a success resets it).
  absl::Duration NextDelay(const absl::StatusOr<int>& outcome);

  // Deletes delivered rows older than the retention; the number deleted.
  absl::StatusOr<int64_t> DeleteDelivered();

  // Samples the depth and the oldest undelivered event's age into the gauges.
  absl::Status RefreshGauges();

  // One background run (see above); errors are logged and counted, never returned.
  void RunOnce();
  // Starts RunOnce on a PeriodicTask; Stop (or the destructor) ends it. INTERNAL if the
  // thread cannot start.
  absl::Status Start();
  void Stop();
  ~OutboxRelay();

  // For tests: the random source of the back-off jitter (a value in [0, 1)).
  void SetJitterForTest(std::function<double()> jitter);

 private:
  OutboxRelay(db::PgPool* pool, AuditClient* sink, const Clock* clock,
              prometheus::Registry* registry, OutboxRelayOptions options);

  db::PgPool* const pool_;
  AuditClient* const sink_;
  const Clock* const clock_;
  const OutboxRelayOptions options_;
  const std::string table_;  // "<schema>".audit_outbox, quoted

  prometheus::Gauge& depth_;
  prometheus::Gauge& oldest_age_;
  prometheus::Counter& delivered_;
  prometheus::Family<prometheus::Counter>& failures_;

  absl::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_gauges_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_cleanup_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Last member: stopped first when the relay is destroyed.
  std::unique_ptr<PeriodicTask> task_;
  std::function<double()> jitter_ ABSL_GUARDED_BY(mu_);
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::audit

#endif  // JIT_COMMON_AUDIT_OUTBOX_RELAY_H_
