#include "services/requests/notify/notifications.h"

#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace jit::requests::notify {

absl::StatusOr<std::unique_ptr<Notifications>> Notifications::Create(
    db::PgPool* pool, const Clock* clock, prometheus::Registry* registry,
    const std::string& config_path) {
  ASSIGN_OR_RETURN(NotifyConfig config, LoadNotifyConfig(config_path));
  std::unique_ptr<Notifications> n(new Notifications(pool, std::move(config)));
  ASSIGN_OR_RETURN(n->http_, http::CurlHttpClient::Create(
                                 {.connect_timeout = n->config_.send_timeout,
                                  .total_timeout = n->config_.send_timeout,
                                  .max_response_bytes = 64 * 1024,
                                  .allow_loopback_http = n->config_.allow_loopback_http}));
  ASSIGN_OR_RETURN(n->worker_, NotificationWorker::Create(&n->queue_, n->http_.get(), &n->config_,
                                                          clock, registry));
  spdlog::info("notifications on: sinks={} routes={}", n->config_.sinks.size(),
               n->config_.routes.size());
  return n;
}

}  // namespace jit::requests::notify
