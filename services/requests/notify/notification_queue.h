// The notification queue (requests.notifications, migration 0004). OnChange, the
// PostgresRequestStore's change hook, plans the change's notifications and inserts one row per
// (event, sink), id = the idempotency key, in the change's transaction; a decision cancels the
// request's pending reminders. Claim leases up to `limit` due rows (SKIP LOCKED; attempts + 1,
// due again at now + lease), never a row while an earlier pending row of the same request and
// sink exists, in seq order. Finish records an attempt's outcome only while the row is still
// pending with the claim's attempt count (false otherwise: a later claim took over).
// Errors: the database's; DATA_LOSS for a row that does not parse. Thread-safe; borrows the
// pool and config.
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
