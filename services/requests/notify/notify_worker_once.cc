// Test helper (notification_delivery_test's killed-worker case): one replica's worker as a
// process of its own. Runs one NotificationWorker::RunBatch against the database and sinks
// given, with the real clock and a one-minute lease, then exits 0 (1 on an error).
//
//   notify_worker_once <conninfo> <notify.yaml>
#include <cstdio>

#include "common/clock.h"
#include "common/db/pg_pool.h"
#include "common/http/http_client.h"
#include "prometheus/registry.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notification_worker.h"
#include "services/requests/notify/notify_config.h"

int main(int argc, char** argv) {
  namespace notify = jit::requests::notify;
  if (argc != 3) {
    std::fprintf(stderr, "usage: notify_worker_once <conninfo> <notify.yaml>\n");
    return 2;
  }
  auto config = notify::LoadNotifyConfig(argv[2]);
  auto pool =
      jit::db::PgPool::Create({.conninfo = jit::SecretString(std::string(argv[1])), .size = 2});
  if (!config.ok() || !pool.ok()) {
    std::fprintf(stderr, "set-up failed\n");
    return 1;
  }
  notify::PostgresNotificationQueue queue(pool->get(), &*config);
  auto http = jit::http::CurlHttpClient::Create({.connect_timeout = absl::Seconds(5),
                                                 .total_timeout = absl::Seconds(30),
                                                 .allow_loopback_http = true});
  prometheus::Registry registry;
  auto worker =
      notify::NotificationWorker::Create(&queue, http->get(), &*config, &jit::RealClock::Get(),
                                         &registry, {.batch = 16, .lease = absl::Minutes(1)});
  if (!http.ok() || !worker.ok()) return 1;
  std::fprintf(stderr, "claiming\n");
  auto n = (*worker)->RunBatch();
  std::fprintf(stderr, "ran batch: %s\n", n.ok() ? "ok" : n.status().ToString().c_str());
  return n.ok() ? 0 : 1;
}
