#include "services/policy/http_decision_hook.h"

#include <httplib.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// A real HTTP server on 127.0.0.1 (port chosen by the kernel), answering with `handler`.
class TestServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit TestServer(Handler handler) {
    server_.Post("/v1/data/jit/decision",
                 [this, handler](const httplib::Request& req, httplib::Response& res) {
                   {
                     absl::MutexLock lock(&mu_);
                     remote_ports_.push_back(req.remote_port);
                     last_body_ = req.body;
                     last_authorization_ = req.get_header_value("Authorization");
                     last_content_type_ = req.get_header_value("Content-Type");
                   }
                   handler(req, res);
                 });
    server_.set_tcp_nodelay(true);  // no delayed-ACK stall on kept-alive connections
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~TestServer() {
    // The listening socket exists since bind; wait for the accept loop to be running so
    // that stop() reaches it.
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1/data/jit/decision";
  }
  std::string last_body() {
    absl::MutexLock lock(&mu_);
    return last_body_;
  }
  std::string last_authorization() {
    absl::MutexLock lock(&mu_);
    return last_authorization_;
  }
  std::string last_content_type() {
    absl::MutexLock lock(&mu_);
    return last_content_type_;
  }
  // The client port of every request, in order.
  std::vector<int> remote_ports() {
    absl::MutexLock lock(&mu_);
    return remote_ports_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::string last_body_ ABSL_GUARDED_BY(mu_);
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
  std::string last_content_type_ ABSL_GUARDED_BY(mu_);
  std::vector<int> remote_ports_ ABSL_GUARDED_BY(mu_);
};

TestServer::Handler Reply(int status, std::string body) {
  return [status, body](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content(body, "application/json");
  };
}

std::unique_ptr<HttpDecisionHook> MakeHook(const std::string& url,
                                           absl::Duration timeout = absl::Seconds(5)) {
  HttpDecisionHookOptions options;
  options.url = url;
  options.timeout = timeout;
  absl::StatusOr<std::unique_ptr<HttpDecisionHook>> hook =
      HttpDecisionHook::Create(std::move(options));
  EXPECT_TRUE(hook.ok()) << hook.status();
  return *std::move(hook);
}

class HttpDecisionHookTest : public ::testing::Test {
 protected:
  HttpDecisionHookTest() {
    request_.mutable_identity()->set_name("alice");
    request_.mutable_identity()->add_roles("dev");
    request_.mutable_resource()->set_kind(jit::policy::v1::Resource::KIND_NODE);
    request_.mutable_resource()->set_login("ubuntu");
    explanation_.set_summary("allowed by role \"dev\"");
    input_.decision = "check_access";
    input_.request = &request_;
    input_.local_explanation = &explanation_;
  }

  jit::policy::v1::CheckAccessRequest request_;
  jit::policy::v1::Explanation explanation_;
  HookInput input_;
};

TEST_F(HttpDecisionHookTest, AllowReplyAllows) {
  TestServer server(Reply(200, R"({"result": {"allow": true, "reason": "ok by opa"}})"));
  ASSERT_OK_AND_ASSIGN(HookVerdict verdict, MakeHook(server.url())->Evaluate(input_));
  EXPECT_TRUE(verdict.allow);
  EXPECT_EQ(verdict.reason, "ok by opa");
}

TEST_F(HttpDecisionHookTest, PostsTheInputDocument) {
  TestServer server(Reply(200, R"({"result": {"allow": true}})"));
  ASSERT_OK(MakeHook(server.url())->Evaluate(input_));
  EXPECT_EQ(server.last_content_type(), "application/json");
  const nlohmann::json body = nlohmann::json::parse(server.last_body());
  EXPECT_EQ(body["input"]["decision"], "check_access");
  EXPECT_EQ(body["input"]["request"]["identity"]["name"], "alice");
  EXPECT_EQ(body["input"]["request"]["resource"]["kind"], "KIND_NODE");
  EXPECT_EQ(body["input"]["local"]["allowed"], true);
  EXPECT_EQ(body["input"]["local"]["explanation"]["summary"], "allowed by role \"dev\"");
}

TEST_F(HttpDecisionHookTest, SendsTheBearerToken) {
  TestServer server(Reply(200, R"({"result": {"allow": true}})"));
  HttpDecisionHookOptions options;
  options.url = server.url();
  options.bearer_token = SecretString(std::string("s3cret"));
  ASSERT_OK_AND_ASSIGN(auto hook, HttpDecisionHook::Create(std::move(options)));
  ASSERT_OK(hook->Evaluate(input_));
  EXPECT_EQ(server.last_authorization(), "Bearer s3cret");
}

TEST_F(HttpDecisionHookTest, DenyReplyDeniesWithReason) {
  TestServer server(Reply(200, R"({"result": {"allow": false, "reason": "change freeze"}})"));
  ASSERT_OK_AND_ASSIGN(HookVerdict verdict, MakeHook(server.url())->Evaluate(input_));
  EXPECT_FALSE(verdict.allow);
  EXPECT_EQ(verdict.reason, "change freeze");
}

TEST_F(HttpDecisionHookTest, Non200IsAnError) {
  TestServer server(Reply(500, R"({"result": {"allow": true}})"));
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 500")));
}

TEST_F(HttpDecisionHookTest, MalformedJsonIsAnError) {
  TestServer server(Reply(200, "{not json"));
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
}

TEST_F(HttpDecisionHookTest, UndefinedOpaResultIsAnError) {
  TestServer server(Reply(200, "{}"));
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no \"result\"")));
}

TEST_F(HttpDecisionHookTest, NonBooleanAllowIsAnError) {
  TestServer server(Reply(200, R"({"result": {"allow": "true"}})"));
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("boolean result.allow")));
}

TEST_F(HttpDecisionHookTest, OversizedReplyIsAnError) {
  TestServer server(Reply(
      200, R"({"result": {"allow": true, "reason": ")" + std::string(100 * 1024, 'x') + "\"}}"));
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("larger than")));
}

TEST_F(HttpDecisionHookTest, RedirectIsNotFollowed) {
  TestServer server([](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "http://127.0.0.1:1/elsewhere");
  });
  EXPECT_THAT(MakeHook(server.url())->Evaluate(input_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 307")));
}

TEST_F(HttpDecisionHookTest, SlowServerTimesOut) {
  absl::Notification release;
  std::atomic<bool> handler_started{false};
  TestServer server([&](const httplib::Request&, httplib::Response& res) {
    handler_started = true;
    // Holds the reply until the test has seen the hook give up.
    release.WaitForNotification();
    res.status = 200;
    res.set_content(R"({"result": {"allow": true}})", "application/json");
  });
  auto hook = MakeHook(server.url(), absl::Milliseconds(200));
  absl::StatusOr<HookVerdict> verdict = hook->Evaluate(input_);
  release.Notify();
  EXPECT_THAT(verdict, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Timeout")));
  EXPECT_TRUE(handler_started.load());
}

TEST_F(HttpDecisionHookTest, ConnectionRefusedIsUnavailable) {
  std::string url;
  {
    // A port that was just free and is closed again.
    TestServer server(Reply(200, "{}"));
    url = server.url();
  }
  EXPECT_THAT(MakeHook(url)->Evaluate(input_), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(HttpDecisionHookTest, ReusesConnectionsAcrossCalls) {
  TestServer server(Reply(200, R"({"result": {"allow": true}})"));
  auto hook = MakeHook(server.url());
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(HookVerdict verdict, hook->Evaluate(input_));
    EXPECT_TRUE(verdict.allow);
  }
  const std::vector<int> ports = server.remote_ports();
  ASSERT_EQ(ports.size(), 5u);
  for (int port : ports) EXPECT_EQ(port, ports[0]);  // one connection for all five calls
  hook.reset();                                      // closes it before the server stops
}

TEST(HttpDecisionHookCreateTest, RejectsBadOptions) {
  HttpDecisionHookOptions bad_scheme;
  bad_scheme.url = "file:///etc/passwd";
  EXPECT_THAT(HttpDecisionHook::Create(std::move(bad_scheme)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
  HttpDecisionHookOptions remote_http;
  remote_http.url = "http://opa.example:8181/v1/data/jit/decision";
  EXPECT_THAT(HttpDecisionHook::Create(std::move(remote_http)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be https://")));
  HttpDecisionHookOptions bad_timeout;
  bad_timeout.url = "http://127.0.0.1:8181/";
  bad_timeout.timeout = absl::ZeroDuration();
  EXPECT_THAT(HttpDecisionHook::Create(std::move(bad_timeout)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
}

}  // namespace
}  // namespace jit::policy
