// Approver notification latency (issue 15): from a CreateRequest's commit to the webhook
// receiver, with two replicas of the requests service's notification path sharing one
// PostgreSQL, at a steady --rate requests per second (50).
//
//   url=$(tests/lib/pg.sh start /tmp/jit-bench-pg)     # fsync on, as deployed
//   bazel run -c opt //bench:notify_bench -- --pg_url=$url
//   tests/lib/pg.sh stop /tmp/jit-bench-pg
//
// (--pg_url may be given as JIT_TEST_PG_URL instead: a superuser URL, the bench creates and
// drops a database of its own. --smoke or JIT_BENCH_SMOKE=1: 2 s instead of --seconds=30.)
//
// Each replica is what jit-requests runs: RequestLifecycle over PostgresRequestStore with
// the notification queue as its change hook (rows in the create's transaction), a
// NotificationWorker on its PeriodicTask (poll_interval 100ms, woken after each local
// commit, as requests_app.cc does) posting through libcurl to a generic webhook (signed
// JSON) on a loopback cpp-httplib receiver. Creates alternate between the replicas on an
// open-loop schedule; policy is an in-process fake (not what is measured).
// Latency: create's return (just after commit) to the receiver's handler starting (request
// line, headers and body read) for the first delivery of each notification.
// Reference in the same run: the same webhook call posted directly (no queue, no database)
// right after each create - the floor of HTTP on this machine.
//   REF direct_post measured=<p99>ms
//   GOAL notify_p99 measured=<p99>s target=1s
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/http/http_client.h"
#include "common/http/loopback_http_server.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "prometheus/registry.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/migrations.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notification_worker.h"
#include "services/requests/notify/notify_config.h"
#include "services/requests/notify/sink_payloads.h"
#include "services/requests/postgres_request_store.h"
#include "services/requests/request_lifecycle.h"
#include "spdlog/spdlog.h"

namespace {

using Steady = std::chrono::steady_clock;
namespace notify = jit::requests::notify;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "notify_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(
      values.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(values.size())));
  return values[index];
}

std::string SecretFile(const std::string& dir, const std::string& name, const std::string& v) {
  const std::string path = absl::StrCat(dir, "/", name);
  std::ofstream(path) << v;
  chmod(path.c_str(), 0600);
  return path;
}

// Arrival times by request id (first delivery only).
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& rq, httplib::Response& rs) {
      const Steady::time_point now = Steady::now();
      std::string id;
      try {
        id = nlohmann::json::parse(rq.body)["request"]["id"];
      } catch (const std::exception&) {
        rs.status = 400;
        return;
      }
      {
        absl::MutexLock lock(&mu_);
        arrivals_.emplace(id, now);
      }
      rs.set_content("ok", "text/plain");
    });
  }
  httplib::Server* server() { return &server_; }
  std::map<std::string, Steady::time_point> Arrivals() {
    absl::MutexLock lock(&mu_);
    return arrivals_;
  }

 private:
  httplib::Server server_;
  absl::Mutex mu_;
  std::map<std::string, Steady::time_point> arrivals_ ABSL_GUARDED_BY(mu_);
};

// Wakes the replica's worker after each commit, as requests_app.cc's observer does.
class WakeObserver final : public jit::requests::LifecycleObserver {
 public:
  explicit WakeObserver(notify::NotificationWorker** worker) : worker_(worker) {}
  void Created(const jit::requests::AccessRequest&) override { (*worker_)->Wake(); }
  void Transitioned(jit::requests::AccessRequestState, const jit::requests::AccessRequest&,
                    absl::Time) override {
    (*worker_)->Wake();
  }

 private:
  notify::NotificationWorker** worker_;
};

// One replica: its own pool, queue, store, lifecycle and worker.
struct Replica {
  std::unique_ptr<jit::db::PgPool> pool;
  std::unique_ptr<notify::PostgresNotificationQueue> queue;
  std::unique_ptr<jit::requests::PostgresRequestStore> store;
  std::unique_ptr<jit::policy::PolicyPermissionChecker> permissions;
  notify::NotificationWorker* worker_ptr = nullptr;
  std::unique_ptr<WakeObserver> observer;
  std::unique_ptr<jit::requests::RequestLifecycle> lifecycle;
  std::unique_ptr<jit::http::CurlHttpClient> http;
  prometheus::Registry registry;
  std::unique_ptr<notify::NotificationWorker> worker;
};

}  // namespace

int main(int argc, char** argv) {
  bool smoke = std::getenv("JIT_BENCH_SMOKE") != nullptr;
  int seconds = 30;
  double rate = 50;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
    } else if (std::strncmp(argv[i], "--pg_url=", 9) == 0) {
      setenv("JIT_TEST_PG_URL", argv[i] + 9, 1);
    } else if (std::strncmp(argv[i], "--seconds=", 10) == 0) {
      seconds = std::atoi(argv[i] + 10);
    } else if (std::strncmp(argv[i], "--rate=", 7) == 0) {
      rate = std::atof(argv[i] + 7);
    } else {
      Die(absl::StrCat("unknown argument ", argv[i],
                       " (--pg_url=URL, --smoke, --seconds=N, --rate=R)"));
    }
  }
  if (smoke) seconds = 2;
  spdlog::set_level(spdlog::level::warn);

  auto db = jit::db::testing::TestDatabase::Create();
  Check(db.status(), "database (give --pg_url=postgresql://postgres@127.0.0.1:PORT/postgres)");
  {
    auto pool = jit::db::PgPool::Create((*db)->PoolOptions(2));
    Check(pool.status(), "pool");
    Check(jit::db::ApplyMigrations(**pool, "requests", jit::requests::Migrations()), "migrations");
  }

  Receiver receiver;
  jit::http::testing::LoopbackHttpServer server(receiver.server());
  char dir_template[] = "/tmp/notify_bench.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string yaml = absl::StrCat(
      "allow_loopback_http: true\nsinks:\n  - {name: hook, kind: webhook, url_file: ",
      SecretFile(dir, "url", absl::StrCat("http://127.0.0.1:", server.port(), "/hook")),
      ", secret_file: ", SecretFile(dir, "hmac", "bench-secret"),
      "}\ndefault: [hook]\nreminder_fraction: 0\npoll_interval: 100ms\nsend_timeout: 5s\n");
  auto config = notify::ParseNotifyConfig(yaml);
  Check(config.status(), "notify config");

  jit::policy::testing::FakePolicyClient policy;
  policy.check_request.Handle([](const jit::policy::v1::CheckRequestRequest& rq) {
    jit::policy::v1::CheckRequestResponse r;
    r.set_allowed(true);
    r.mutable_max_duration()->set_seconds(3600);
    r.mutable_request_ttl()->set_seconds(3600);
    for (const std::string& role : rq.requested_roles()) {
      auto* rt = r.add_thresholds();
      rt->set_role(role);
      auto* t = rt->add_thresholds();
      t->set_name("default");
      t->set_approve(1);
      t->set_deny(1);
    }
    return absl::StatusOr<jit::policy::v1::CheckRequestResponse>(r);
  });
  const jit::Clock& clock = jit::RealClock::Get();

  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 2; ++i) {
    auto r = std::make_unique<Replica>();
    auto pool = jit::db::PgPool::Create((*db)->PoolOptions(6));
    Check(pool.status(), "pool");
    r->pool = *std::move(pool);
    r->queue = std::make_unique<notify::PostgresNotificationQueue>(r->pool.get(), &*config);
    r->store = std::make_unique<jit::requests::PostgresRequestStore>(r->pool.get(), r->queue.get());
    r->permissions = std::make_unique<jit::policy::PolicyPermissionChecker>(&policy);
    r->observer = std::make_unique<WakeObserver>(&r->worker_ptr);
    r->lifecycle = std::make_unique<jit::requests::RequestLifecycle>(
        r->store.get(), &policy, r->permissions.get(), &clock,
        jit::requests::RequestLifecycleOptions{}, r->observer.get());
    auto http = jit::http::CurlHttpClient::Create({.connect_timeout = absl::Seconds(5),
                                                   .total_timeout = absl::Seconds(5),
                                                   .allow_loopback_http = true});
    Check(http.status(), "http client");
    r->http = *std::move(http);
    auto worker = notify::NotificationWorker::Create(r->queue.get(), r->http.get(), &*config,
                                                     &clock, &r->registry);
    Check(worker.status(), "worker");
    r->worker = *std::move(worker);
    r->worker_ptr = r->worker.get();
    Check(r->worker->Start(), "worker start");
    replicas.push_back(std::move(r));
  }
  auto direct_http = jit::http::CurlHttpClient::Create({.connect_timeout = absl::Seconds(5),
                                                        .total_timeout = absl::Seconds(5),
                                                        .allow_loopback_http = true});
  Check(direct_http.status(), "http client");
  const notify::SinkConfig& sink = config->sinks[0];

  const int total = static_cast<int>(seconds * rate);
  std::map<std::string, Steady::time_point> committed;
  std::vector<double> direct_ms;
  const Steady::time_point start = Steady::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
    Replica& r = *replicas[i % 2];
    jit::requests::v1::CreateRequestRequest rq;
    rq.add_roles("db-admin");
    rq.set_reason("bench");
    jit::common::v1::Identity user;
    user.set_kind(jit::common::v1::Identity::KIND_USER);
    user.set_name(absl::StrCat("user", i % 100));
    user.add_roles("dev");
    auto created = r.lifecycle->Create(user, {.actor = "user:bench"}, rq);
    const Steady::time_point at = Steady::now();
    Check(created.status(), "create");
    committed.emplace(created->id(), at);
    // The reference: the same call straight to the receiver (its own id, not counted above).
    if (i % 5 == 0) {
      notify::QueuedNotification n;
      n.id = absl::StrCat("direct-", i);
      n.event = "created";
      n.request = *created;
      n.request.set_id(absl::StrCat("direct-", i));
      auto call = notify::RenderCall(sink, n, absl::Now());
      Check(call.status(), "render");
      const Steady::time_point t0 = Steady::now();
      auto resp =
          (*direct_http)->Post(call->url.Reveal(), "application/json", call->body, call->headers);
      Check(resp.status(), "direct post");
      direct_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
  }
  // Wait (a bounded poll of the receiver's record, not a timing assumption) for the rest.
  const Steady::time_point deadline = Steady::now() + std::chrono::seconds(30);
  std::map<std::string, Steady::time_point> arrivals;
  for (;;) {
    arrivals = receiver.Arrivals();
    size_t got = 0;
    for (const auto& [id, _] : committed) got += arrivals.count(id);
    if (got == committed.size() || Steady::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& r : replicas) r->worker->Stop();

  std::vector<double> latency_ms;
  int missing = 0;
  for (const auto& [id, at] : committed) {
    auto it = arrivals.find(id);
    if (it == arrivals.end()) {
      ++missing;
      continue;
    }
    latency_ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
  }
  std::printf("notify_bench: %d creates at %.0f/s over %d s, 2 replicas, %s\n", total, rate,
              seconds, smoke ? "smoke" : "full");
  std::printf("commit -> receiver: p50=%.1fms p99=%.1fms max=%.1fms delivered=%zu missing=%d\n",
              Percentile(latency_ms, 50), Percentile(latency_ms, 99), Percentile(latency_ms, 100),
              latency_ms.size(), missing);
  std::printf("direct post: p50=%.2fms p99=%.2fms (n=%zu)\n", Percentile(direct_ms, 50),
              Percentile(direct_ms, 99), direct_ms.size());
  std::printf("REF direct_post measured=%.2fms\n", Percentile(direct_ms, 99));
  if (missing > 0 || latency_ms.empty()) {
    std::printf("GOAL notify_p99 measured=none target=1s MISS\n");
    return 0;
  }
  const double p99_s = Percentile(latency_ms, 99) / 1000.0;
  std::printf("GOAL notify_p99 measured=%.3fs target=1s %s\n", p99_s,
              p99_s <= 1.0 ? "PASS" : "MISS");
  return 0;
}
