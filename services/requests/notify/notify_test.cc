// Unit tests of the notification parts that need no database: the config, the planner, the
// sink payloads and the delivery outcome / back-off rules.
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "services/requests/notify/notification_planner.h"
#include "services/requests/notify/notification_worker.h"
#include "services/requests/notify/notify_config.h"
#include "services/requests/notify/sink_payloads.h"

namespace jit::requests::notify {
namespace {

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_EXPIRED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::common::v1::ACCESS_REQUEST_STATE_REVOKED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED;
using ::jit::testing::StatusIs;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string SecretFile(const std::string& name, const std::string& value) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << value;
  chmod(path.c_str(), 0600);
  return path;
}

std::string ConfigYaml() {
  return absl::StrCat(R"(
sinks:
  - {name: ops, kind: slack, url_file: )",
                      SecretFile("slack", "https://hooks.example/T/B/slacksecret"), R"(}
  - {name: pager, kind: pagerduty, routing_key_file: )",
                      SecretFile("pd", "pdroutingkey"), R"(}
  - {name: soc, kind: webhook, url_file: )",
                      SecretFile("hook", "https://soc.example/hook?token=hooksecret"),
                      R"(, secret_file: )", SecretFile("hmac", "hmacsecret"), R"(}
routes:
  - {roles: ["db-*"], sinks: [pager, ops]}
  - {reviewers: ["carol"], sinks: [soc]}
default: [ops]
requesters:
  - {users: ["al*"], sinks: [soc]}
reminder_fraction: 0.5
max_attempts: 4
)");
}

NotifyConfig Config() {
  absl::StatusOr<NotifyConfig> c = ParseNotifyConfig(ConfigYaml());
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

AccessRequest Request(std::vector<std::string> roles) {
  AccessRequest r;
  r.set_id("0190a1b2-0000-7000-8000-000000000001");
  r.set_user("alice");
  for (auto& role : roles) r.add_roles(role);
  r.set_reason("fix <prod> & more");
  r.set_state(ACCESS_REQUEST_STATE_PENDING);
  SetProtoTimestamp(absl::FromUnixSeconds(1000), r.mutable_create_time());
  SetProtoTimestamp(absl::FromUnixSeconds(1000), r.mutable_update_time());
  SetProtoTimestamp(absl::FromUnixSeconds(1000 + 3600), r.mutable_pending_expire_time());
  r.mutable_max_duration()->set_seconds(7200);
  r.add_suggested_reviewers("bob");
  auto* t = r.add_thresholds();
  t->set_role(r.roles(0));
  auto* spec = t->add_thresholds();
  spec->set_name("two-dbas");
  spec->set_approve(2);
  spec->set_deny(1);
  return r;
}

std::vector<std::string> Sinks(const Plan& plan, const std::string& event) {
  std::vector<std::string> out;
  for (const auto& n : plan.notifications) {
    if (n.event == event) out.push_back(n.sink);
  }
  return out;
}

TEST(NotifyConfigTest, ParsesSinksRoutesAndReadsSecretsFromFiles) {
  NotifyConfig c = Config();
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(c.Sink("ops")->url.Reveal(), "https://hooks.example/T/B/slacksecret");
  EXPECT_EQ(c.Sink("pager")->routing_key.Reveal(), "pdroutingkey");
  EXPECT_EQ(c.Sink("pager")->url.Reveal(), kPagerDutyEventsUrl);
  EXPECT_EQ(c.Sink("soc")->signing_secret.Reveal(), "hmacsecret");
  EXPECT_EQ(c.max_attempts, 4);
}

TEST(NotifyConfigTest, RejectsAnUnknownSinkInARouteNamingIt) {
  const std::string yaml = absl::StrCat(
      "sinks: [{name: ops, kind: slack, url_file: ", SecretFile("s2", "https://x.example/a"),
      "}]\nroutes: [{roles: ['*'], sinks: [nope]}]\n");
  EXPECT_THAT(ParseNotifyConfig(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("routes[0].sinks")));
}

TEST(NotifyConfigTest, RejectsAPlainHttpUrlWithoutNamingIt) {
  const std::string yaml = absl::StrCat("sinks: [{name: ops, kind: slack, url_file: ",
                                        SecretFile("s3", "http://x.example/secretpath"), "}]\n");
  absl::StatusOr<NotifyConfig> c = ParseNotifyConfig(yaml);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sinks[0]")));
  EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr("secretpath")));
}

TEST(NotifyConfigTest, RejectsAnUnreadableSecretFile) {
  EXPECT_THAT(ParseNotifyConfig("sinks: [{name: ops, kind: slack, url_file: /nonexistent/x}]"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sinks[0].url_file")));
}

TEST(NotifyConfigTest, ReadsRelativeSecretFilesBesideTheConfigFile) {
  SecretFile("rel.url", "https://hooks.example/rel");
  const std::string path =
      SecretFile("rel.yaml", "sinks: [{name: a, kind: slack, url_file: rel.url}]\n");
  ASSERT_OK_AND_ASSIGN(NotifyConfig c, LoadNotifyConfig(path));
  EXPECT_EQ(c.Sink("a")->url.Reveal(), "https://hooks.example/rel");
}

TEST(NotifyConfigTest, RejectsUnknownKeys) {
  EXPECT_THAT(ParseNotifyConfig("sinks: []\nbogus: 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus")));
}

TEST(PlannerTest, CreatedGoesToMatchingRoutesAndSchedulesAReminder) {
  NotifyConfig c = Config();
  Plan p = PlanNotifications(c, ACCESS_REQUEST_STATE_UNSPECIFIED, Request({"db-admin"}),
                             absl::FromUnixSeconds(1000));
  EXPECT_THAT(Sinks(p, kEventCreated), ::testing::ElementsAre("pager", "ops"));
  EXPECT_THAT(Sinks(p, kEventReminder), ::testing::ElementsAre("pager", "ops"));
  for (const auto& n : p.notifications) {
    if (n.event == kEventReminder) EXPECT_EQ(n.due, absl::FromUnixSeconds(1000 + 1800));
  }
}

TEST(PlannerTest, SuggestedReviewerRouteMatches) {
  AccessRequest r = Request({"web"});
  r.add_suggested_reviewers("carol");
  Plan p = PlanNotifications(Config(), ACCESS_REQUEST_STATE_UNSPECIFIED, r, absl::Now());
  EXPECT_THAT(Sinks(p, kEventCreated), ::testing::ElementsAre("soc"));
}

TEST(PlannerTest, NoRouteUsesTheDefault) {
  Plan p =
      PlanNotifications(Config(), ACCESS_REQUEST_STATE_UNSPECIFIED, Request({"web"}), absl::Now());
  EXPECT_THAT(Sinks(p, kEventCreated), ::testing::ElementsAre("ops"));
}

TEST(PlannerTest, BreakGlassIsUrgentAndHasNoReminder) {
  AccessRequest r = Request({"db-admin"});
  r.set_break_glass(true);
  r.set_state(ACCESS_REQUEST_STATE_APPROVED);
  Plan p = PlanNotifications(Config(), ACCESS_REQUEST_STATE_UNSPECIFIED, r, absl::Now());
  ASSERT_EQ(p.notifications.size(), 2u);
  for (const auto& n : p.notifications) {
    EXPECT_EQ(n.event, kEventBreakGlass);
    EXPECT_TRUE(n.urgent);
  }
}

TEST(PlannerTest, DecisionGoesToRoutesAndRequesterAndCancelsReminders) {
  AccessRequest r = Request({"db-admin"});
  r.set_state(ACCESS_REQUEST_STATE_DENIED);
  Plan p = PlanNotifications(Config(), ACCESS_REQUEST_STATE_PENDING, r, absl::Now());
  EXPECT_THAT(Sinks(p, kEventDenied), ::testing::ElementsAre("pager", "ops", "soc"));
  EXPECT_TRUE(p.cancel_reminders);
  r.set_state(ACCESS_REQUEST_STATE_EXPIRED);
  EXPECT_THAT(Sinks(PlanNotifications(Config(), ACCESS_REQUEST_STATE_PENDING, r, absl::Now()),
                    kEventExpired),
              ::testing::SizeIs(3));
}

TEST(PlannerTest, GrantEndsCauseNothing) {
  AccessRequest r = Request({"db-admin"});
  r.set_state(ACCESS_REQUEST_STATE_REVOKED);
  EXPECT_TRUE(PlanNotifications(Config(), ACCESS_REQUEST_STATE_APPROVED, r, absl::Now())
                  .notifications.empty());
}

QueuedNotification Queued(const std::string& event, AccessRequest r) {
  QueuedNotification n;
  n.id = "0190a1b2-0000-7000-8000-0000000000aa";
  n.event = event;
  n.request = std::move(r);
  return n;
}

TEST(PayloadTest, SlackHasEveryFieldAndTheExactCommandEscaped) {
  NotifyConfig c = Config();
  ASSERT_OK_AND_ASSIGN(HttpCall call,
                       RenderCall(*c.Sink("ops"), Queued(kEventCreated, Request({"db-admin"})),
                                  absl::FromUnixSeconds(5000)));
  json body = json::parse(call.body.Reveal());
  const std::string text = body.dump();
  for (const char* want :
       {"*Requester*", "*Roles*", "*Duration*", "*Start*", "*Reason*", "*Thresholds*",
        "*Who may approve*", "two-dbas", "2h", "fix &lt;prod&gt; &amp; more",
        "jit request approve 0190a1b2-0000-7000-8000-000000000001"}) {
    EXPECT_THAT(text, HasSubstr(want));
  }
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  EXPECT_EQ(call.headers[0].name, "Idempotency-Key");
  EXPECT_EQ(call.headers[0].value.Reveal(), "0190a1b2-0000-7000-8000-0000000000aa");
}

TEST(PayloadTest, PagerDutyTriggersOnCreateAndResolvesOnDecision) {
  NotifyConfig c = Config();
  ASSERT_OK_AND_ASSIGN(
      HttpCall trigger,
      RenderCall(*c.Sink("pager"), Queued(kEventCreated, Request({"db"})), absl::Now()));
  json t = json::parse(trigger.body.Reveal());
  EXPECT_EQ(t["event_action"], "trigger");
  EXPECT_EQ(t["dedup_key"], "0190a1b2-0000-7000-8000-000000000001");
  EXPECT_EQ(t["routing_key"], "pdroutingkey");
  EXPECT_EQ(t["payload"]["source"], "jit-access");
  EXPECT_EQ(t["payload"]["severity"], "warning");
  ASSERT_OK_AND_ASSIGN(
      HttpCall resolve,
      RenderCall(*c.Sink("pager"), Queued(kEventApproved, Request({"db"})), absl::Now()));
  json r = json::parse(resolve.body.Reveal());
  EXPECT_EQ(r["event_action"], "resolve");
  EXPECT_EQ(r["dedup_key"], "0190a1b2-0000-7000-8000-000000000001");
  EXPECT_FALSE(r.contains("payload"));
}

// The receiver's side, written against OpenSSL directly (not the code under test).
std::string IndependentSignature(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return "v1=" + absl::BytesToHexString(std::string(reinterpret_cast<char*>(mac), len));
}

TEST(PayloadTest, WebhookIsSignedOverTimestampDotBody) {
  NotifyConfig c = Config();
  ASSERT_OK_AND_ASSIGN(HttpCall call,
                       RenderCall(*c.Sink("soc"), Queued(kEventCreated, Request({"db"})),
                                  absl::FromUnixSeconds(1700000000)));
  std::map<std::string, std::string> h;
  for (const auto& f : call.headers) h[f.name] = std::string(f.value.Reveal());
  EXPECT_EQ(h["X-Jit-Timestamp"], "1700000000");
  const std::string body(call.body.Reveal());
  EXPECT_EQ(h["X-Jit-Signature"], IndependentSignature("hmacsecret", "1700000000." + body));
  json j = json::parse(body);
  EXPECT_EQ(j["event"], "created");
  EXPECT_EQ(j["request"]["user"], "alice");
  EXPECT_EQ(j["approve_command"], "jit request approve 0190a1b2-0000-7000-8000-000000000001");
  EXPECT_THAT(body, Not(HasSubstr("hmacsecret")));
}

TEST(ClassifyTest, TwoHundredsAreSent) {
  http::HttpResponse r;
  r.status = 202;
  EXPECT_EQ(Classify(r).state, NotificationState::kSent);
}

TEST(ClassifyTest, FiveHundredsAnd429RetryHonouringRetryAfter) {
  http::HttpResponse r;
  r.status = 429;
  r.retry_after = absl::Seconds(7);
  DeliveryOutcome o = Classify(r);
  EXPECT_EQ(o.state, NotificationState::kPending);
  EXPECT_EQ(o.retry_after, absl::Seconds(7));
  r.status = 503;
  EXPECT_EQ(Classify(r).state, NotificationState::kPending);
}

TEST(ClassifyTest, OtherClientErrorsFailWithTheReason) {
  http::HttpResponse r;
  r.status = 400;
  DeliveryOutcome o = Classify(r);
  EXPECT_EQ(o.state, NotificationState::kFailed);
  EXPECT_EQ(o.reason, "HTTP 400");
}

TEST(ClassifyTest, TransportErrorsRetryWithoutTheUrl) {
  DeliveryOutcome o =
      Classify(absl::UnavailableError("POST https://hooks.example/T/B/slacksecret: timeout"));
  EXPECT_EQ(o.state, NotificationState::kPending);
  EXPECT_THAT(o.reason, Not(HasSubstr("slacksecret")));
}

TEST(BackoffTest, DoublesWithJitterUpToTheCap) {
  const absl::Duration min = absl::Seconds(1), max = absl::Seconds(10);
  EXPECT_EQ(Backoff(1, min, max, absl::ZeroDuration(), 0.0), absl::Milliseconds(500));
  EXPECT_EQ(Backoff(1, min, max, absl::ZeroDuration(), 1.0), absl::Seconds(1));
  EXPECT_EQ(Backoff(3, min, max, absl::ZeroDuration(), 1.0), absl::Seconds(4));
  EXPECT_EQ(Backoff(10, min, max, absl::ZeroDuration(), 1.0), absl::Seconds(10));
}

TEST(BackoffTest, NeverShorterThanRetryAfter) {
  EXPECT_EQ(Backoff(1, absl::Seconds(1), absl::Seconds(10), absl::Seconds(30), 0.5),
            absl::Seconds(30));
}

}  // namespace
}  // namespace jit::requests::notify
