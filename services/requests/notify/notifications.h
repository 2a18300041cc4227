// Notifications: approver notifications as one part of the requests app, built from
// --notify_config: NotifyConfig -> PostgresNotificationQueue (the store's change hook) ->
// NotificationWorker posting through a CurlHttpClient with send_timeout. Create loads the
// config (errors name the file and field); Start starts the worker. Declare it before the
// store that borrows hook(); destroying it stops the worker. Thread-safe once started.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATIONS_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/db/pg_pool.h"
#include "common/http/http_client.h"
#include "prometheus/registry.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notification_worker.h"
#include "services/requests/notify/notify_config.h"

namespace jit::requests::notify {

class Notifications {
 public:
  // FAILED_PRECONDITION / INVALID_ARGUMENT from loading `config_path`.
  static absl::StatusOr<std::unique_ptr<Notifications>> Create(db::PgPool* pool, const Clock* clock,
                                                               prometheus::Registry* registry,
                                                               const std::string& config_path);

  PostgresChangeHook* hook() { return &queue_; }
  absl::Status Start() { return worker_->Start(); }
  NotificationWorker& worker() { return *worker_; }

 private:
  Notifications(db::PgPool* pool, NotifyConfig config)
      : config_(std::move(config)), queue_(pool, &config_) {}

  const NotifyConfig config_;
  PostgresNotificationQueue queue_;
  std::unique_ptr<http::CurlHttpClient> http_;
  std::unique_ptr<NotificationWorker> worker_;  // last: stops first
};

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATIONS_H_
