// Notifications: the requests service's approver notifications as one part of the app
// (requests_app.cc), built from --notify_config:
//
//   NotifyConfig (notify_config.h) -> PostgresNotificationQueue, the PostgresRequestStore's
//   change hook (rows in the transaction of each change) -> NotificationWorker (every
//   replica) posting through a CurlHttpClient with the config's send_timeout.
//
// Create loads the config (errors name the file and field) and builds the parts; Start
// starts the worker. Declared before the store that borrows hook(); the worker stops when
// this object is destroyed. Thread-safe once started.
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
