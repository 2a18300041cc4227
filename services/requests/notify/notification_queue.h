// The notification queue in PostgreSQL (requests.notifications, migration 0004), written in
// the transaction of each request change and drained by NotificationWorker in every replica.
//
// - OnChange (a PostgresChangeHook of PostgresRequestStore) plans the change's notifications
//   (notification_planner.h) and inserts one row per (event, sink) with a fresh UUIDv7 id,
//   the idempotency key of every attempt; a decision cancels the request's pending reminders.
// - Claim takes up to `limit` due pending rows that no other transaction holds (FOR UPDATE
//   SKIP LOCKED), skipping a row while an earlier pending row of the same request and sink
//   exists (per-request order), and leases them: attempts + 1, due again at now + lease, so a
//   worker that dies mid-send leaves its rows to be claimed again after the lease (at least
//   once, the same id). Returned in seq order.
// - Finish records one attempt's outcome: sent, retry at a time, failed or dead-lettered with
//   a reason. It applies only while the row is still pending with the attempt count of the
//   claim (a worker whose lease ran out cannot undo the outcome of the one that took over):
//   false when it no longer applies.
// Errors: the database's (common/db/pg_errors.h); DATA_LOSS for a row that does not parse.
// Thread-safe; borrows the pool and the config.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_QUEUE_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_QUEUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/pg_pool.h"
#include "services/requests/notify/notify_config.h"
#include "services/requests/postgres_request_store.h"

namespace jit::requests::notify {

struct QueuedNotification {
  std::string id;  // the idempotency key
  int64_t seq = 0;
  std::string event;
  std::string sink;
  bool urgent = false;
  AccessRequest request;  // as it was at the event
  absl::Time create_time;
  int attempts = 0;  // including the one this claim is for
};

enum class NotificationState { kPending = 1, kSent = 2, kFailed = 3, kDead = 4, kCancelled = 5 };

class PostgresNotificationQueue final : public PostgresChangeHook {
 public:
  PostgresNotificationQueue(db::PgPool* pool, const NotifyConfig* config)
      : pool_(pool), config_(config) {}

  absl::Status OnChange(pqxx::transaction_base& txn, AccessRequestState from,
                        const AccessRequest& after) override;

  absl::StatusOr<std::vector<QueuedNotification>> Claim(absl::Time now, int limit,
                                                        absl::Duration lease);

  // `state` kSent, kFailed or kDead (with `reason`), or kPending to retry at `retry_at`.
  absl::StatusOr<bool> Finish(const QueuedNotification& claimed, NotificationState state,
                              absl::Time now, absl::Time retry_at, const std::string& reason);

  // Pending rows (also those not due yet).
  absl::StatusOr<int64_t> Depth();
  // Deletes finished rows whose finish time is before `cutoff`; how many.
  absl::StatusOr<int64_t> DeleteFinishedBefore(absl::Time cutoff);

 private:
  db::PgPool* const pool_;
  const NotifyConfig* const config_;
};

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_QUEUE_H_
