// Notification delivery end to end against a real PostgreSQL (JIT_TEST_PG_URL) and loopback
// HTTP receivers: RequestLifecycle over PostgresRequestStore with the queue as its hook, the
// worker posting with the real libcurl client. Receivers check each payload against the
// documented formats (the webhook signature with OpenSSL directly), fail with 500, 429 +
// Retry-After and hang past the send timeout as scripted, or are down; time for back-off and
// leases moves on a FakeClock, never by sleeping.
#include <signal.h>
#include <sys/stat.h>

#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/http/http_client.h"
#include "common/http/loopback_http_server.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "pqxx/pqxx"
#include "prometheus/text_serializer.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/migrations.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notification_worker.h"
#include "services/requests/notify/notify_config.h"
#include "services/requests/postgres_request_store.h"
#include "services/requests/request_lifecycle.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace jit::requests::notify {
namespace {

using ::jit::common::v1::AccessReview;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSlackSecret[] = "slack-url-secret-T0B0XXXX";
constexpr char kRoutingKey[] = "pd-routing-key-secret";
constexpr char kHmacSecret[] = "webhook-hmac-secret";
constexpr char kHookSecret[] = "hook-token-secret";

Identity User(const std::string& name, const std::string& role) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.add_roles(role);
  return id;
}

std::string IndependentSignature(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return "v1=" + absl::BytesToHexString(std::string(reinterpret_cast<char*>(mac), len));
}

// One delivery as a receiver saw it, after checking its format.
struct Delivery {
  std::string key;         // Idempotency-Key
  std::string request_id;  // from the payload
  std::string event;       // created/approved/... (PagerDuty: trigger/resolve)
};

// What a receiver answers next (then 200 once the script is used up).
struct Answer {
  int status = 200;
  std::string retry_after;
  bool hang = false;  // hold the reply until released (past the client's timeout)
  absl::Notification* arrived = nullptr;  // notified when this request has been read
};

class Receiver {
 public:
  Receiver() {
    for (const char* path : {"/slack/", "/pd", "/hook"}) {
      server_.Post(std::string(path) + (std::string(path) == "/slack/" ? kSlackSecret : ""),
                   [this, p = std::string(path)](const httplib::Request& rq,
                                                 httplib::Response& rs) { Handle(p, rq, rs); });
    }
  }
  ~Receiver() { Release(); }
  // Lets hanging replies go (once).
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

  void Script(const std::string& path, std::vector<Answer> answers) {
    absl::MutexLock lock(&mu_);
    for (auto& a : answers) script_[path].push_back(a);
  }
  std::vector<Delivery> Deliveries(const std::string& path) {
    absl::MutexLock lock(&mu_);
    return deliveries_[path];
  }
  std::vector<std::string> Errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  httplib::Server* server() { return &server_; }

 private:
  void Handle(const std::string& path, const httplib::Request& rq, httplib::Response& rs) {
    Delivery d;
    d.key = rq.get_header_value("Idempotency-Key");
    std::string error;
    try {
      json j = json::parse(rq.body);
      if (path == "/slack/") {
        // Block Kit: text fallback, header, fields, the approve command for created.
        if (!j["text"].is_string() || j["blocks"][0]["type"] != "header" ||
            j["blocks"][1]["fields"].size() < 8) {
          error = "slack: not a Block Kit message";
        }
        const std::string ctx = j["blocks"].back()["elements"][0]["text"];
        d.event = ctx.substr(ctx.find("event ") + 6,
                             ctx.find(" ·", ctx.find("event ")) - ctx.find("event ") - 6);
        d.request_id = ctx.substr(ctx.rfind(' ') + 1);
        if (d.event == "created" &&
            j.dump().find("jit request approve " + d.request_id) == std::string::npos) {
          error = "slack: no approve command";
        }
      } else if (path == "/pd") {
        if (j["routing_key"] != kRoutingKey) error = "pd: routing key";
        d.event = j["event_action"];
        d.request_id = j["dedup_key"];
        if (d.event == "trigger" &&
            (!j["payload"]["summary"].is_string() || j["payload"]["source"] != "jit-access" ||
             !j["payload"]["severity"].is_string())) {
          error = "pd: trigger payload";
        }
        if (d.event != "trigger" && d.event != "resolve") error = "pd: event_action";
      } else {
        const std::string ts = rq.get_header_value("X-Jit-Timestamp");
        if (rq.get_header_value("X-Jit-Signature") !=
            IndependentSignature(kHmacSecret, ts + "." + rq.body)) {
          error = "hook: bad signature";
        }
        if (rq.get_param_value("token") != kHookSecret) error = "hook: token";
        d.event = j["event"];
        d.request_id = j["request"]["id"];
        if (j["id"] != d.key) error = "hook: id is not the idempotency key";
      }
    } catch (const std::exception& e) {
      error = absl::StrCat(path, ": ", e.what());
    }
    if (d.key.empty()) error = path + ": no Idempotency-Key";
    Answer a;
    {
      absl::MutexLock lock(&mu_);
      if (!error.empty()) errors_.push_back(error);
      deliveries_[path].push_back(d);
      if (!script_[path].empty()) {
        a = script_[path].front();
        script_[path].pop_front();
      }
    }
    if (a.arrived != nullptr) a.arrived->Notify();
    if (a.hang) release_.WaitForNotificationWithTimeout(absl::Seconds(10));
    rs.status = a.status;
    if (!a.retry_after.empty()) rs.set_header("Retry-After", a.retry_after);
    rs.set_content("ok", "text/plain");
  }

  httplib::Server server_;
  absl::Notification release_;
  absl::Mutex mu_;
  std::map<std::string, std::deque<Answer>> script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<Delivery>> deliveries_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
};

std::string SecretFile(const std::string& name, const std::string& value) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << value;
  chmod(path.c_str(), 0600);
  return path;
}

// Deduplicated by key, in arrival order: "<request>:<event>".
std::vector<std::string> Deduplicated(const std::vector<Delivery>& ds) {
  std::vector<std::string> out, seen;
  for (const Delivery& d : ds) {
    if (std::find(seen.begin(), seen.end(), d.key) != seen.end()) continue;
    seen.push_back(d.key);
    out.push_back(d.request_id + ":" + d.event);
  }
  return out;
}

class NotificationDeliveryTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    log_ = std::make_shared<std::ostringstream>();
    spdlog::default_logger()->sinks().push_back(
        std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_));
    server_ = std::make_unique<http::testing::LoopbackHttpServer>(receiver_.server());
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(8)));
    ASSERT_OK(db::ApplyMigrations(*pool_, "requests", Migrations()));
    policy_.check_request.Handle([](const policy::v1::CheckRequestRequest& rq) {
      policy::v1::CheckRequestResponse r;
      r.set_allowed(true);
      r.mutable_max_duration()->set_seconds(4 * 3600);
      r.mutable_request_ttl()->set_seconds(3600);
      for (const std::string& role : rq.requested_roles()) {
        auto* rt = r.add_thresholds();
        rt->set_role(role);
        auto* t = rt->add_thresholds();
        t->set_name("default");
        t->set_approve(1);
        t->set_deny(1);
      }
      return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
    });
    policy_.check_review.Handle([](const policy::v1::CheckReviewRequest& rq) {
      policy::v1::CheckReviewResponse r;
      r.set_allowed(true);
      *r.mutable_matching_thresholds() = rq.request().thresholds();
      return absl::StatusOr<policy::v1::CheckReviewResponse>(r);
    });
  }
  void TearDown() override {
    auto& sinks = spdlog::default_logger()->sinks();
    if (!sinks.empty()) sinks.pop_back();
  }

  // Starts the queue, store, lifecycle and worker with sinks on `port`.
  void Start(int port, double reminder_fraction = 0) {
    const std::string base = absl::StrCat("http://127.0.0.1:", port);
    const std::string yaml = absl::StrCat(
        "allow_loopback_http: true\nsinks:\n", "  - {name: chat, kind: slack, url_file: ",
        SecretFile("slack_url", base + "/slack/" + kSlackSecret), "}\n",
        "  - {name: pager, kind: pagerduty, url: ", base,
        "/pd, routing_key_file: ", SecretFile("pd_key", kRoutingKey), "}\n",
        "  - {name: soc, kind: webhook, url_file: ",
        SecretFile("hook_url", base + "/hook?token=" + kHookSecret),
        ", secret_file: ", SecretFile("hook_hmac", kHmacSecret), "}\n",
        "routes: [{roles: ['db-*'], sinks: [pager, chat]}]\ndefault: [chat]\n",
        "requesters: [{users: ['*'], sinks: [soc]}]\n", "reminder_fraction: ", reminder_fraction,
        "\nmax_attempts: 4\nsend_timeout: 500ms\nmin_backoff: 1s\n", "max_backoff: 20s\n");
    ASSERT_OK_AND_ASSIGN(config_, ParseNotifyConfig(yaml));
    config_path_ = SecretFile("notify.yaml", yaml);
    queue_ = std::make_unique<PostgresNotificationQueue>(pool_.get(), &config_);
    store_ = std::make_unique<PostgresRequestStore>(pool_.get(), queue_.get());
    permissions_ = std::make_unique<policy::PolicyPermissionChecker>(&policy_);
    lifecycle_ =
        std::make_unique<RequestLifecycle>(store_.get(), &policy_, permissions_.get(), &clock_);
    ASSERT_OK_AND_ASSIGN(http_,
                         http::CurlHttpClient::Create({.connect_timeout = absl::Milliseconds(500),
                                                       .total_timeout = config_.send_timeout,
                                                       .allow_loopback_http = true}));
    worker_ = NewWorker();
  }

  std::unique_ptr<NotificationWorker> NewWorker() {
    absl::StatusOr<std::unique_ptr<NotificationWorker>> w =
        NotificationWorker::Create(queue_.get(), http_.get(), &config_, &clock_, &registry_,
                                   {.batch = 16, .lease = absl::Minutes(1)});
    EXPECT_TRUE(w.ok()) << w.status();
    (*w)->SetJitterForTest([] { return 0.5; });
    return *std::move(w);
  }

  absl::StatusOr<AccessRequest> Create(const std::string& user, const std::string& role) {
    v1::CreateRequestRequest rq;
    rq.add_roles(role);
    rq.set_reason("ticket 42");
    return lifecycle_->Create(User(user, "dev"), {.actor = "user:" + user}, rq);
  }

  absl::StatusOr<AccessRequest> Review(const std::string& id, AccessReview::Verdict verdict) {
    v1::ReviewRequestRequest rq;
    rq.set_id(id);
    rq.set_verdict(verdict);
    return lifecycle_->Review(User("rita", "reviewer"), {.actor = "user:rita"}, rq);
  }

  // Runs batches, moving the fake clock a minute after each, until nothing is pending.
  void Drain() {
    for (int i = 0; i < 30; ++i) {
      ASSERT_OK(worker_->RunBatch().status());
      ASSERT_OK_AND_ASSIGN(int64_t depth, queue_->Depth());
      if (depth == 0) return;
      clock_.Advance(absl::Minutes(1));
    }
    FAIL() << "queue not drained";
  }

  std::string Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    pqxx::result r = txn.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  void ExpectNoSecretAnywhere() {
    const std::string dump =
        Query(
            "SELECT string_agg(coalesce(last_error, '') || encode(body, 'escape'), '|') "
            "FROM requests.notifications") +
        Query("SELECT string_agg(encode(event, 'escape'), '|') FROM requests.audit_outbox");
    const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
    spdlog::default_logger()->flush();
    for (const char* secret : {kSlackSecret, kRoutingKey, kHmacSecret, kHookSecret}) {
      EXPECT_THAT(dump, Not(HasSubstr(secret)));
      EXPECT_THAT(metrics, Not(HasSubstr(secret)));
      EXPECT_THAT(log_->str(), Not(HasSubstr(secret)));
    }
  }

  FakeClock clock_{absl::FromUnixMicros(1'800'000'000'123'456)};
  Receiver receiver_;
  std::unique_ptr<http::testing::LoopbackHttpServer> server_;
  std::shared_ptr<std::ostringstream> log_;
  std::unique_ptr<db::PgPool> pool_;
  policy::testing::FakePolicyClient policy_;
  NotifyConfig config_;
  std::string config_path_;
  prometheus::Registry registry_;
  std::unique_ptr<PostgresNotificationQueue> queue_;
  std::unique_ptr<PostgresRequestStore> store_;
  std::unique_ptr<policy::PolicyPermissionChecker> permissions_;
  std::unique_ptr<RequestLifecycle> lifecycle_;
  std::unique_ptr<http::CurlHttpClient> http_;
  std::unique_ptr<NotificationWorker> worker_;
};

TEST_F(NotificationDeliveryTest, RowsCommitWithTheChangeAndNotWithoutIt) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("alice", "db-admin"));
  EXPECT_EQ(Query(absl::StrCat("SELECT string_agg(event || '/' || sink, ',' ORDER BY seq) FROM "
                               "requests.notifications WHERE request_id = '",
                               r.id(), "'")),
            "created/pager,created/chat");
  // A review refused by policy changes nothing and queues nothing.
  policy_.check_review.Handle([](const policy::v1::CheckReviewRequest&) {
    policy::v1::CheckReviewResponse no;
    return absl::StatusOr<policy::v1::CheckReviewResponse>(no);
  });
  EXPECT_FALSE(Review(r.id(), AccessReview::VERDICT_APPROVE).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM requests.notifications"), "2");
}

TEST_F(NotificationDeliveryTest, EveryNotificationArrivesInOrderExactlyOnceDespiteFailures) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  receiver_.Script("/slack/", {{.status = 500}, {.status = 429, .retry_after = "120"}});
  receiver_.Script("/pd", {{.status = 503}, {.hang = true}, {.status = 502}});
  receiver_.Script("/hook", {{.hang = true}, {.status = 500}});
  ASSERT_OK_AND_ASSIGN(AccessRequest a, Create("alice", "db-admin"));
  ASSERT_OK_AND_ASSIGN(AccessRequest b, Create("bob", "db-read"));
  ASSERT_OK_AND_ASSIGN(AccessRequest c, Create("carol", "web"));
  ASSERT_OK(Review(a.id(), AccessReview::VERDICT_APPROVE).status());
  ASSERT_OK(Review(b.id(), AccessReview::VERDICT_DENY).status());
  ASSERT_OK(lifecycle_
                ->Cancel(User("carol", "dev"), {.actor = "user:carol"},
                         [&] {
                           v1::CancelRequestRequest rq;
                           rq.set_id(c.id());
                           return rq;
                         }())
                .status());
  Drain();
  EXPECT_THAT(receiver_.Errors(), ::testing::IsEmpty());
  auto per_request = [](const std::vector<std::string>& events, const std::string& id) {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.rfind(id, 0) == 0) out.push_back(e.substr(id.size() + 1));
    }
    return out;
  };
  const auto slack = Deduplicated(receiver_.Deliveries("/slack/"));
  EXPECT_EQ(slack.size(), 6u);
  EXPECT_THAT(per_request(slack, a.id()), ::testing::ElementsAre("created", "approved"));
  EXPECT_THAT(per_request(slack, b.id()), ::testing::ElementsAre("created", "denied"));
  EXPECT_THAT(per_request(slack, c.id()), ::testing::ElementsAre("created", "cancelled"));
  const auto pd = Deduplicated(receiver_.Deliveries("/pd"));
  EXPECT_EQ(pd.size(), 4u);
  EXPECT_THAT(per_request(pd, a.id()), ::testing::ElementsAre("trigger", "resolve"));
  EXPECT_THAT(per_request(pd, b.id()), ::testing::ElementsAre("trigger", "resolve"));
  const auto hook = Deduplicated(receiver_.Deliveries("/hook"));
  EXPECT_THAT(hook, ::testing::UnorderedElementsAre(a.id() + ":approved", b.id() + ":denied",
                                                    c.id() + ":cancelled"));
  // Failures were retried with the same key: more attempts than notifications.
  EXPECT_GT(receiver_.Deliveries("/slack/").size(), slack.size());
  EXPECT_GT(receiver_.Deliveries("/hook").size(), hook.size());
  EXPECT_EQ(Query("SELECT count(*) FROM requests.notifications WHERE state <> 2"), "0");
  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("jit_requests_notifications_sent_total{sink_kind=\"slack\"} 6"));
  EXPECT_THAT(metrics,
              HasSubstr("jit_requests_notifications_retries_total{sink_kind=\"pagerduty\"} 3"));
  ExpectNoSecretAnywhere();
}

TEST_F(NotificationDeliveryTest, RetryAfterIsHonoured) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  receiver_.Script("/slack/", {{.status = 429, .retry_after = "600"}});
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("dave", "web"));
  ASSERT_OK_AND_ASSIGN(int n, worker_->RunBatch());
  EXPECT_EQ(n, 1);
  clock_.Advance(absl::Seconds(599));
  ASSERT_OK_AND_ASSIGN(n, worker_->RunBatch());
  EXPECT_EQ(n, 0);  // a 1s back-off would have been due long ago
  clock_.Advance(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(n, worker_->RunBatch());
  EXPECT_EQ(n, 1);
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/slack/")),
              ::testing::ElementsAre(r.id() + ":created"));
}

TEST_F(NotificationDeliveryTest, A4xxFailsTheRowWithItsReasonAndNoRetry) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  receiver_.Script("/slack/", {{.status = 404}});
  ASSERT_OK(Create("erin", "web").status());
  Drain();
  EXPECT_EQ(receiver_.Deliveries("/slack/").size(), 1u);
  EXPECT_EQ(Query("SELECT state || ' ' || last_error FROM requests.notifications"), "3 HTTP 404");
  EXPECT_THAT(prometheus::TextSerializer().Serialize(registry_.Collect()),
              HasSubstr("jit_requests_notifications_failed_total{sink_kind=\"slack\"} 1"));
  ExpectNoSecretAnywhere();
}

TEST_F(NotificationDeliveryTest, DeadLetteredAfterMaxAttempts) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  receiver_.Script("/slack/", {{.status = 500}, {.status = 500}, {.status = 500}, {.status = 500}});
  ASSERT_OK(Create("fred", "web").status());
  Drain();
  EXPECT_EQ(receiver_.Deliveries("/slack/").size(), 4u);
  EXPECT_EQ(Query("SELECT state || ' ' || last_error FROM requests.notifications"),
            "4 dead-lettered after 4 attempts; last: HTTP 500");
  EXPECT_THAT(prometheus::TextSerializer().Serialize(registry_.Collect()),
              HasSubstr("jit_requests_notifications_dead_letters_total{sink_kind=\"slack\"} 1"));
}

TEST_F(NotificationDeliveryTest, ASinkDownForAWhileLosesNothing) {
  // Find a free port, then leave it closed while the notifications are tried.
  int port;
  {
    httplib::Server probe;
    http::testing::LoopbackHttpServer running(&probe);
    port = running.port();
  }
  ASSERT_NO_FATAL_FAILURE(Start(port));
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("gina", "db-admin"));
  ASSERT_OK(Review(r.id(), AccessReview::VERDICT_APPROVE).status());
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK(worker_->RunBatch().status());
    clock_.Advance(absl::Seconds(30));
  }
  EXPECT_EQ(Query("SELECT count(*) FROM requests.notifications WHERE state = 1"), "5");
  // The receiver comes back on the same port.
  Receiver back;
  ASSERT_TRUE(back.server()->bind_to_port("127.0.0.1", port));
  std::thread t([&] { back.server()->listen_after_bind(); });
  while (!back.server()->is_running()) std::this_thread::yield();
  Drain();
  back.server()->stop();
  t.join();
  EXPECT_THAT(Deduplicated(back.Deliveries("/slack/")),
              ::testing::ElementsAre(r.id() + ":created", r.id() + ":approved"));
  EXPECT_THAT(Deduplicated(back.Deliveries("/pd")),
              ::testing::ElementsAre(r.id() + ":trigger", r.id() + ":resolve"));
  EXPECT_THAT(Deduplicated(back.Deliveries("/hook")), ::testing::ElementsAre(r.id() + ":approved"));
  EXPECT_THAT(back.Errors(), ::testing::IsEmpty());
}

TEST_F(NotificationDeliveryTest, AWorkerKilledMidSendIsRedeliveredWithTheSameKey) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("hank", "web"));
  // Worker A claims and sends, and dies before recording the acknowledgement.
  std::unique_ptr<NotificationWorker> a = NewWorker();
  ASSERT_OK_AND_ASSIGN(std::vector<QueuedNotification> claimed, a->Claim());
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(a->Deliver(claimed[0]).state, NotificationState::kSent);
  a.reset();
  // Worker B cannot take the row while A's lease holds, then sends it again.
  ASSERT_OK_AND_ASSIGN(int n, worker_->RunBatch());
  EXPECT_EQ(n, 0);
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(n, worker_->RunBatch());
  EXPECT_EQ(n, 1);
  const auto deliveries = receiver_.Deliveries("/slack/");
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].key, deliveries[1].key);
  EXPECT_EQ(deliveries[0].key, claimed[0].id);
  EXPECT_THAT(Deduplicated(deliveries), ::testing::ElementsAre(r.id() + ":created"));
  EXPECT_EQ(Query("SELECT state FROM requests.notifications"), "2");
  // A late record by the dead worker's claim changes nothing.
  ASSERT_OK(worker_->Record(claimed[0], {.state = NotificationState::kFailed, .reason = "x"}));
  EXPECT_EQ(Query("SELECT state FROM requests.notifications"), "2");
}

TEST_F(NotificationDeliveryTest, AWorkerProcessKilledMidSendIsRedeliveredWithTheSameKey) {
  // The child worker runs on the real clock: start the fake one at the real time.
  clock_.SetTime(absl::Now());
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  absl::Notification arrived;
  receiver_.Script("/slack/", {{.hang = true, .arrived = &arrived}});
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("mia", "web"));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<jit::testing::Subprocess> child,
      jit::testing::Subprocess::Start(
          {jit::testing::RunfilePath("services/requests/notify/notify_worker_once"),
           db().conninfo(), config_path_},
          jit::testing::TestTempPath("notify_worker_once.log")));
  // Killed while the receiver holds its request (it has the body; no reply has gone back).
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(60))) << child->Output();
  child->Signal(SIGKILL);
  ASSERT_OK_AND_ASSIGN(int code, child->Wait(absl::Seconds(10)));
  EXPECT_EQ(code, 128 + SIGKILL);
  receiver_.Release();
  EXPECT_EQ(Query("SELECT state || ' ' || attempts FROM requests.notifications"), "1 1");
  // Leased by the dead worker for a minute; then this replica sends it again.
  ASSERT_OK_AND_ASSIGN(int n, worker_->RunBatch());
  EXPECT_EQ(n, 0);
  clock_.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(n, worker_->RunBatch());
  EXPECT_EQ(n, 1);
  const auto deliveries = receiver_.Deliveries("/slack/");
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].key, deliveries[1].key);
  EXPECT_THAT(Deduplicated(deliveries), ::testing::ElementsAre(r.id() + ":created"));
  EXPECT_EQ(Query("SELECT state || ' ' || attempts FROM requests.notifications"), "2 2");
}

TEST_F(NotificationDeliveryTest, ReminderAtTheFractionOfTheTtlAndCancelledByTheDecision) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port(), 0.5));
  ASSERT_OK_AND_ASSIGN(AccessRequest waiting, Create("ivan", "web"));
  ASSERT_OK_AND_ASSIGN(AccessRequest decided, Create("judy", "web"));
  ASSERT_OK(worker_->RunBatch().status());
  ASSERT_OK(Review(decided.id(), AccessReview::VERDICT_APPROVE).status());
  clock_.Advance(absl::Minutes(29));
  ASSERT_OK(worker_->RunBatch().status());
  EXPECT_EQ(Deduplicated(receiver_.Deliveries("/slack/")).size(), 3u);  // 2 created, 1 approved
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(worker_->RunBatch().status());
  const auto slack = Deduplicated(receiver_.Deliveries("/slack/"));
  ASSERT_EQ(slack.size(), 4u);
  EXPECT_EQ(slack.back(), waiting.id() + ":reminder");
  EXPECT_EQ(Query("SELECT count(*) FROM requests.notifications WHERE state = 5"), "1");
}

TEST_F(NotificationDeliveryTest, ExpiryBySweeperNotifiesAndResolvesTheIncident) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port(), 0.5));
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create("lena", "db-admin"));
  ASSERT_OK(worker_->RunBatch().status());
  clock_.Advance(absl::Hours(1) + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(int expired, lifecycle_->ExpireDue(100));
  EXPECT_EQ(expired, 1);
  Drain();
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/slack/")),
              ::testing::ElementsAre(r.id() + ":created", r.id() + ":expired"));
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/pd")),
              ::testing::ElementsAre(r.id() + ":trigger", r.id() + ":resolve"));
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/hook")),
              ::testing::ElementsAre(r.id() + ":expired"));
}

TEST_F(NotificationDeliveryTest, BreakGlassIsSentUrgent) {
  ASSERT_NO_FATAL_FAILURE(Start(server_->port()));
  policy_.check_request.Handle([](const policy::v1::CheckRequestRequest&) {
    policy::v1::CheckRequestResponse r;
    r.set_allowed(true);
    r.set_break_glass(true);
    r.mutable_max_duration()->set_seconds(3600);
    r.mutable_request_ttl()->set_seconds(3600);
    return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
  });
  v1::CreateRequestRequest rq;
  rq.add_roles("db-admin");
  rq.set_reason("outage");
  rq.set_break_glass(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r,
                       lifecycle_->Create(User("kim", "dev"), {.actor = "user:kim"}, rq));
  Drain();
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/slack/")),
              ::testing::ElementsAre(r.id() + ":break_glass"));
  EXPECT_THAT(Deduplicated(receiver_.Deliveries("/pd")),
              ::testing::ElementsAre(r.id() + ":trigger"));
  EXPECT_EQ(Query("SELECT bool_and(urgent)::text FROM requests.notifications"), "true");
}

}  // namespace
}  // namespace jit::requests::notify
