#include "common/http/http_client.h"

#include <fstream>

#include "absl/synchronization/notification.h"
#include "common/http/loopback_http_server.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::http {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

using ServerRunner = ::jit::http::testing::LoopbackHttpServer;

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path);
  out << data;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"ok":true})", "application/json");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://127.0.0.1:1/elsewhere");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(4096, 'x'), "text/plain");
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      release_.WaitForNotificationWithTimeout(absl::Seconds(30));
      res.set_content("late", "text/plain");
    });
    server_.Post("/form", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_param_value("a") + "|" + req.get_param_value("b") + "|" +
                          req.get_header_value("Authorization") + "|" +
                          req.get_header_value("Content-Type"),
                      "text/plain");
    });
    server_.Post("/json", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body + "|" + req.get_header_value("Content-Type") + "|" +
                          req.get_header_value("Authorization"),
                      "text/plain");
    });
    server_.Get("/peer", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    runner_ = std::make_unique<ServerRunner>(&server_);
    base_ = "http://127.0.0.1:" + std::to_string(runner_->port());
    client_ = *CurlHttpClient::Create({.allow_loopback_http = true});
  }
  void TearDown() override {
    release_.Notify();
    client_.reset();  // closes its cached connections, so the server need not wait for them
    runner_.reset();
  }

  httplib::Server server_;
  absl::Notification release_;
  std::unique_ptr<ServerRunner> runner_;
  std::string base_;
  std::unique_ptr<CurlHttpClient> client_;
};

TEST_F(HttpClientTest, GetReturnsStatusBodyAndContentType) {
  ASSERT_OK_AND_ASSIGN(HttpResponse r, client_->Get(base_ + "/json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ok":true})");
  EXPECT_EQ(r.content_type, "application/json");
  ASSERT_OK_AND_ASSIGN(HttpResponse missing, client_->Get(base_ + "/nope"));
  EXPECT_EQ(missing.status, 404);
}

TEST_F(HttpClientTest, PostFormEncodesFieldsAndSendsHeaders) {
  ASSERT_OK_AND_ASSIGN(
      HttpResponse r,
      client_->PostForm(base_ + "/form",
                        {{"a", SecretString(std::string("x y&z=1"))},
                         {"b", SecretString(std::string("\xc3\xa9"))}},
                        {{"Authorization", SecretString(std::string("Basic Zm9vOmJhcg=="))}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "x y&z=1|\xc3\xa9|Basic Zm9vOmJhcg==|application/x-www-form-urlencoded");
}

TEST_F(HttpClientTest, PostSendsTheBodyAsTheContentType) {
  ASSERT_OK_AND_ASSIGN(
      HttpResponse r,
      client_->Post(base_ + "/json", "application/json", SecretString(std::string(R"({"a":1})")),
                    {{"Authorization", SecretString(std::string("Bearer t0ken"))}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"a":1}|application/json|Bearer t0ken)");
}

TEST_F(HttpClientTest, RequestsReuseTheOpenConnection) {
  ASSERT_OK_AND_ASSIGN(HttpResponse first, client_->Get(base_ + "/peer"));
  ASSERT_OK_AND_ASSIGN(HttpResponse second, client_->Get(base_ + "/peer"));
  // The same client port: the second request went over the first one's connection.
  EXPECT_EQ(first.body, second.body);
}

TEST_F(HttpClientTest, RedirectsAreNotFollowed) {
  ASSERT_OK_AND_ASSIGN(HttpResponse r, client_->Get(base_ + "/redirect"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.location, "http://127.0.0.1:1/elsewhere");
}

TEST_F(HttpClientTest, OversizedResponseIsRefused) {
  auto small = *CurlHttpClient::Create({.max_response_bytes = 1000, .allow_loopback_http = true});
  EXPECT_THAT(small->Get(base_ + "/big"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("larger than the limit")));
}

TEST_F(HttpClientTest, TotalTimeoutApplies) {
  auto impatient = *CurlHttpClient::Create(
      {.total_timeout = absl::Milliseconds(300), .allow_loopback_http = true});
  EXPECT_THAT(impatient->Get(base_ + "/slow"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(HttpClientTest, PlainHttpNeedsTheExplicitLoopbackOption) {
  auto strict = *CurlHttpClient::Create({});
  EXPECT_THAT(strict->Get(base_ + "/json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be https")));
}

TEST(CheckUrlAllowedTest, OnlyHttpsOrExplicitLoopbackHttp) {
  EXPECT_THAT(CheckUrlAllowed("https://idp.example.com/.well-known/x", false), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://idp.example.com/", true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckUrlAllowed("http://localhost:8080/", true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckUrlAllowed("http://127.0.0.1:8080/", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckUrlAllowed("http://127.0.0.1:8080/", true), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://[::1]:8080/", true), IsOk());
  EXPECT_THAT(CheckUrlAllowed("http://127.0.0.1.evil.com/", true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckUrlAllowed("https://user:pw@idp.example.com/", false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("credentials")));
  EXPECT_THAT(CheckUrlAllowed("file:///etc/passwd", true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckUrlAllowed("not a url", true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(UrlForLog("https://h/p?code=secret#x"), "https://h/p");
}

// TLS against a loopback server with a certificate from our own CA.
class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string dir = tmp ? tmp : "/tmp";
    const absl::Time now = absl::Now();
    ca_ = *pki::CreateCertificateAuthority({}, now);
    auto leaf = *pki::IssueCertificate(
        ca_, {.common_name = "idp", .dns_sans = {"localhost"}, .ip_sans = {"127.0.0.1"}}, now);
    ca_file_ = dir + "/https-ca.pem";
    WriteFile(ca_file_, *pki::CertificateToPem(ca_.cert.get()));
    WriteFile(dir + "/https-leaf.pem", leaf.cert_pem);
    WriteFile(dir + "/https-leaf.key", leaf.key_pem.Reveal());
    server_ = std::make_unique<httplib::SSLServer>((dir + "/https-leaf.pem").c_str(),
                                                   (dir + "/https-leaf.key").c_str());
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"tls":true})", "application/json");
    });
    runner_ = std::make_unique<ServerRunner>(server_.get());
    url_ = "https://127.0.0.1:" + std::to_string(runner_->port()) + "/json";
  }
  void TearDown() override { runner_.reset(); }

  pki::CertificateAuthority ca_;
  std::string ca_file_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<ServerRunner> runner_;
  std::string url_;
};

TEST_F(HttpsClientTest, TrustedCaSucceeds) {
  auto client = *CurlHttpClient::Create({.ca_file = ca_file_});
  ASSERT_OK_AND_ASSIGN(HttpResponse r, client->Get(url_));
  EXPECT_EQ(r.body, R"({"tls":true})");
}

TEST_F(HttpsClientTest, UntrustedCertificateIsRefused) {
  auto client = *CurlHttpClient::Create({});  // system store does not know our CA
  EXPECT_THAT(client->Get(url_), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::http

namespace jit::http {
namespace {

TEST(PercentEncodingTest, RoundTripsAndReadsQueryParameters) {
  EXPECT_EQ(PercentEncode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  ASSERT_OK_AND_ASSIGN(std::string back, PercentDecode("a%20b%26c%3Dd%2F%C3%A9~"));
  EXPECT_EQ(back, "a b&c=d/é~");
  EXPECT_THAT(PercentDecode("%2"), ::jit::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%zz"), ::jit::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::string code,
                       QueryParameter("http://127.0.0.1:9/cb?state=s%2B1&code=a+b#frag", "code"));
  EXPECT_EQ(code, "a b");
  ASSERT_OK_AND_ASSIGN(std::string state,
                       QueryParameter("http://127.0.0.1:9/cb?state=s%2B1&code=a+b", "state"));
  EXPECT_EQ(state, "s+1");
  ASSERT_OK_AND_ASSIGN(std::string none, QueryParameter("http://h/cb?x=1", "code"));
  EXPECT_EQ(none, "");
}

}  // namespace
}  // namespace jit::http
