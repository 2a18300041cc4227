#include "common/server/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "curl/curl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::server {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string Scrape(int port) {
  std::string body;
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  return body;
}

class MetricsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
};

TEST_F(MetricsTest, UnknownMethodsShareOneLabelValue) {
  GrpcServerMetrics metrics("svc", *registry_, clock_);
  metrics.AddKnownMethods({"/jit.x.v1.X/Known"});
  metrics.RecordHandled("/jit.x.v1.X/Known", grpc::StatusCode::OK, absl::Milliseconds(3));
  metrics.RecordHandled("/evil/user-chosen-1", grpc::StatusCode::UNIMPLEMENTED,
                        absl::Milliseconds(1));
  metrics.RecordHandled("/evil/user-chosen-2", grpc::StatusCode::UNIMPLEMENTED,
                        absl::Milliseconds(1));
  auto exposer = MetricsExposer::Create("127.0.0.1:0", registry_);
  ASSERT_THAT(exposer, IsOk());
  const std::string text = Scrape((*exposer)->port());
  EXPECT_THAT(
      text,
      HasSubstr(R"(jit_svc_grpc_server_handled_total{code="OK",method="/jit.x.v1.X/Known"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(jit_svc_grpc_server_handled_total{code="UNIMPLEMENTED",method="unknown"} 2)"));
  EXPECT_THAT(text, Not(HasSubstr("user-chosen")));
}

TEST_F(MetricsTest, ExposedTextPassesPromtool) {
  GrpcServerMetrics metrics("svc", *registry_, clock_);
  metrics.AddKnownMethods({"/jit.x.v1.X/Known"});
  metrics.RecordStarted("/jit.x.v1.X/Known");
  metrics.RecordHandled("/jit.x.v1.X/Known", grpc::StatusCode::PERMISSION_DENIED,
                        absl::Microseconds(800));
  auto exposer = MetricsExposer::Create("127.0.0.1:0", registry_);
  ASSERT_THAT(exposer, IsOk());
  const std::string text = Scrape((*exposer)->port());
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/scrape.txt";
  std::ofstream(path) << text;
  const std::string cmd = "/usr/bin/promtool check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << "promtool said:\n" << out << "\non:\n" << text;
}

TEST_F(MetricsTest, ScrapeSucceedsWhileIdleConnectionsAreHeldOpen) {
  GrpcServerMetrics metrics("svc", *registry_, clock_);
  metrics.RecordStarted("/jit.x.v1.X/Known");
  auto exposer = MetricsExposer::Create("127.0.0.1:0", registry_);
  ASSERT_THAT(exposer, IsOk());
  // Connections that never send a request (a port scanner, a stuck client).
  std::vector<int> idle;
  for (int i = 0; i < kMetricsThreads / 2; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((*exposer)->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    idle.push_back(fd);
  }
  // With one worker this waited for the idle connection's read timeout (30 s), past the
  // scrape's own 10 s limit.
  EXPECT_THAT(Scrape((*exposer)->port()), HasSubstr("jit_svc_grpc_server_started_total"));
  for (int fd : idle) close(fd);
}

TEST_F(MetricsTest, BusyPortIsUnavailableNamingTheFlag) {
  auto first = MetricsExposer::Create("127.0.0.1:0", registry_);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(MetricsExposer::Create("127.0.0.1:" + std::to_string((*first)->port()), registry_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("metrics_addr")));
}

TEST(GrpcCodeNameTest, NamesCanonicalCodes) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
}

}  // namespace
}  // namespace jit::server
