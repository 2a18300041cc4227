// Start-up behaviour shared by every service binary (common/server/service_main), tested on
// the real binaries against the real PostgreSQL that tests/run.sh provides.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/testing/test_database.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "curl/curl.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "pqxx/pqxx"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testing::Subprocess;
using ::jit::testing::TestTempPath;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

const std::vector<std::string>& AllServices() {
  static const auto* names =
      new std::vector<std::string>{"auth", "ca", "requests", "policy", "audit"};
  return *names;
}

std::string BinaryOf(const std::string& service) {
  return RunfilePath(absl::StrCat("services/", service, "/jit-", service));
}

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

// A key-encryption key file for jit-auth (which refuses to start without one).
std::string TestKekFile() {
  const std::string path = TestTempPath("kek");
  std::ofstream(path) << "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

// Flags for a service instance on free ports with the test PKI and the given database.
std::vector<std::string> ServiceArgs(const std::string& binary, const std::string& db_url,
                                     int grpc_port, int metrics_port) {
  const server::TlsFiles tls = jit::testing::TestTlsFiles("server");
  std::vector<std::string> args = {binary,
          absl::StrCat("--listen_addr=127.0.0.1:", grpc_port),
          absl::StrCat("--metrics_addr=127.0.0.1:", metrics_port),
          "--tls_cert_file=" + tls.cert_file,
          "--tls_key_file=" + tls.key_file,
          "--tls_ca_file=" + tls.ca_file,
          "--db_url=" + db_url,
          "--db_pool_size=2",
          "--drain_timeout=5s"};
  if (absl::EndsWith(binary, "/jit-auth")) {
    args.push_back("--key_encryption_key_file=" + TestKekFile());
  }
  return args;
}

// Waits (up to `timeout`) until the server on `port` answers a health check with SERVING.
bool WaitServing(int port, absl::Duration timeout) {
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
  if (!tls.ok()) return false;
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("localhost:", port), server::MakeChannelCredentials(*tls)));
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&ctx, {}, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string HttpGet(const std::string& url) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return body;
}

class ServiceStartupTest : public db::testing::PostgresTest {};

TEST(ServiceFlagsTest, EveryServiceRejectsAnUnknownFlagWithOneLine) {
  for (const std::string& service : AllServices()) {
    const std::string out = TestTempPath("unknown-flag-" + service + ".txt");
    auto p = Subprocess::Start({BinaryOf(service), "--no_such_flag=1"}, out);
    ASSERT_THAT(p, IsOk());
    auto code = (*p)->Wait(absl::Seconds(30));
    ASSERT_THAT(code, IsOk());
    EXPECT_NE(*code, 0) << service;
    EXPECT_THAT(NonEmptyLines((*p)->Output()), SizeIs(1)) << (*p)->Output();
    EXPECT_THAT((*p)->Output(), HasSubstr("no_such_flag")) << service;
  }
}

TEST(ServiceFlagsTest, BadValueExitsTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> flags;
    std::string names;
  };
  const server::TlsFiles tls = jit::testing::TestTlsFiles("server");
  const std::vector<std::string> good = {
      "--tls_cert_file=" + tls.cert_file, "--tls_key_file=" + tls.key_file,
      "--tls_ca_file=" + tls.ca_file, "--db_url=postgresql://x@127.0.0.1:1/jit"};
  const std::vector<Case> cases = {
      {{"--db_pool_size=0"}, "db_pool_size"},
      {{"--listen_addr=nonsense"}, "listen_addr"},
      {{"--rpc_timeout=-1s"}, "rpc_timeout"},
      {{"--log_level=chatty"}, "log_level"},
      {{"--tls_cert_file=/nonexistent.pem"}, "tls_cert_file"},
      {{"--db_url=postgresql://x:hunter2@127.0.0.1:1/jit"}, "db_url"},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::vector<std::string> argv = {BinaryOf("policy")};
    argv.insert(argv.end(), good.begin(), good.end());
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    const std::string out = TestTempPath(absl::StrCat("bad-value-", n++, ".txt"));
    auto p = Subprocess::Start(argv, out);
    ASSERT_THAT(p, IsOk());
    auto code = (*p)->Wait(absl::Seconds(30));
    ASSERT_THAT(code, IsOk());
    EXPECT_EQ(*code, 2) << c.names << ": " << (*p)->Output();
    EXPECT_THAT(NonEmptyLines((*p)->Output()), SizeIs(1)) << (*p)->Output();
    EXPECT_THAT((*p)->Output(), AllOf(HasSubstr(c.names), Not(HasSubstr("hunter2"))));
  }
}

TEST(ServiceFlagsTest, MissingRequiredFlagIsNamed) {
  auto p = Subprocess::Start({BinaryOf("ca")}, TestTempPath("missing.txt"));
  ASSERT_THAT(p, IsOk());
  auto code = (*p)->Wait(absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT((*p)->Output(), HasSubstr("tls_cert_file: must be set"));
}

TEST(ServiceFlagsTest, EnvironmentVariableOverridesFlagDefault) {
  auto p = Subprocess::Start({BinaryOf("audit")}, TestTempPath("env.txt"),
                             {"JIT_DB_POOL_SIZE=zero"});
  ASSERT_THAT(p, IsOk());
  auto code = (*p)->Wait(absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT((*p)->Output(), AllOf(HasSubstr("JIT_DB_POOL_SIZE"), HasSubstr("db_pool_size")));
}

TEST(ServiceDatabaseTest, UnreachableDatabaseExitsOneWithOneLine) {
  const int closed_port = PickUnusedPort();
  for (const std::string& service : AllServices()) {
    auto p = Subprocess::Start(
        ServiceArgs(BinaryOf(service),
                    absl::StrCat("postgresql://jit@127.0.0.1:", closed_port, "/jit"),
                    PickUnusedPort(), PickUnusedPort()),
        TestTempPath("unreachable-" + service + ".txt"));
    ASSERT_THAT(p, IsOk());
    auto code = (*p)->Wait(absl::Seconds(60));
    ASSERT_THAT(code, IsOk()) << service;
    EXPECT_EQ(*code, 1) << service;
    const std::vector<std::string> stderr_lines = [&] {
      std::vector<std::string> lines;
      for (const std::string& l : NonEmptyLines((*p)->Output())) {
        // Log lines (timestamped) go to stderr too; the reason is the "jit-<svc>:" line.
        if (absl::StartsWith(l, "jit-")) lines.push_back(l);
      }
      return lines;
    }();
    ASSERT_THAT(stderr_lines, SizeIs(1)) << (*p)->Output();
    EXPECT_THAT(stderr_lines[0], AllOf(HasSubstr("jit-" + service + ": database:"),
                                       HasSubstr(absl::StrCat(closed_port))));
  }
}

TEST_F(ServiceStartupTest, TwoReplicasStartedTogetherMigrateOnce) {
  const std::string url = db().conninfo();
  const int grpc_a = PickUnusedPort(), grpc_b = PickUnusedPort();
  // Both processes are started before either could have finished migrating.
  auto a = Subprocess::Start(
      ServiceArgs(RunfilePath("tests/integration/jit-itest"), url, grpc_a, PickUnusedPort()),
      TestTempPath("replica-a.txt"));
  auto b = Subprocess::Start(
      ServiceArgs(RunfilePath("tests/integration/jit-itest"), url, grpc_b, PickUnusedPort()),
      TestTempPath("replica-b.txt"));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(WaitServing(grpc_a, absl::Seconds(60))) << (*a)->Output();
  EXPECT_TRUE(WaitServing(grpc_b, absl::Seconds(60))) << (*b)->Output();

  pqxx::connection conn(url);
  pqxx::work txn(conn);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log WHERE version = 1")[0].as<int>(), 1);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log WHERE version = 2")[0].as<int>(), 1);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.schema_migrations")[0].as<int>(), 2);

  (*a)->Signal(SIGTERM);
  (*b)->Signal(SIGTERM);
  EXPECT_THAT((*a)->Wait(absl::Seconds(30)), IsOkAndHolds(0));
  EXPECT_THAT((*b)->Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

TEST_F(ServiceStartupTest, RestartFindsSchemaUpToDate) {
  const std::string url = db().conninfo();
  for (int round = 0; round < 2; ++round) {
    const int port = PickUnusedPort();
    auto p = Subprocess::Start(
        ServiceArgs(RunfilePath("tests/integration/jit-itest"), url, port, PickUnusedPort()),
        TestTempPath(absl::StrCat("restart-", round, ".txt")));
    ASSERT_THAT(p, IsOk());
    ASSERT_TRUE(WaitServing(port, absl::Seconds(60))) << (*p)->Output();
    (*p)->Signal(SIGTERM);
    EXPECT_THAT((*p)->Wait(absl::Seconds(30)), IsOkAndHolds(0));
  }
  pqxx::connection conn(url);
  pqxx::work txn(conn);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log")[0].as<int>(), 2);
}

TEST_F(ServiceStartupTest, EveryServiceServesHealthAndPromtoolCleanMetrics) {
  for (const std::string& service : AllServices()) {
    const int grpc_port = PickUnusedPort(), metrics_port = PickUnusedPort();
    auto p = Subprocess::Start(
        ServiceArgs(BinaryOf(service), db().conninfo(), grpc_port, metrics_port),
        TestTempPath("serve-" + service + ".txt"));
    ASSERT_THAT(p, IsOk());
    ASSERT_TRUE(WaitServing(grpc_port, absl::Seconds(60))) << (*p)->Output();

    const std::string scrape =
        HttpGet(absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics"));
    EXPECT_THAT(scrape, HasSubstr(absl::StrCat("jit_", service,
                                               "_grpc_server_handled_total{code=\"OK\","
                                               "method=\"/grpc.health.v1.Health/Check\"} 1")));
    const std::string path = TestTempPath("scrape-" + service + ".txt");
    std::ofstream(path) << scrape;
    auto [rc, out] = jit::testing::RunShell("/usr/bin/promtool check metrics < " + path);
    EXPECT_EQ(rc, 0) << service << ": " << out;

    (*p)->Signal(SIGTERM);
    EXPECT_THAT((*p)->Wait(absl::Seconds(30)), IsOkAndHolds(0)) << (*p)->Output();
    EXPECT_THAT((*p)->Output(), HasSubstr("draining"));
  }
}

TEST_F(ServiceStartupTest, CallsWithoutAcceptableCredentialsAreRefusedBeforeTheHandler) {
  const int port = PickUnusedPort();
  auto p = Subprocess::Start(ServiceArgs(BinaryOf("policy"), db().conninfo(), port,
                                         PickUnusedPort()),
                             TestTempPath("authz-policy.txt"));
  ASSERT_THAT(p, IsOk());
  ASSERT_TRUE(WaitServing(port, absl::Seconds(60))) << (*p)->Output();
  const std::string target = absl::StrCat("localhost:", port);

  // No client certificate and no token: UNAUTHENTICATED.
  {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
    ASSERT_THAT(tls, IsOk());
    grpc::SslCredentialsOptions anonymous;
    anonymous.pem_root_certs = tls->ca_pem;
    auto stub = jit::policy::v1::PolicyService::NewStub(
        grpc::CreateChannel(target, grpc::SslCredentials(anonymous)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    jit::policy::v1::ListRolesResponse response;
    EXPECT_EQ(stub->ListRoles(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // A valid service certificate of a service the method does not admit: PERMISSION_DENIED.
  {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
    ASSERT_THAT(tls, IsOk());
    auto stub = jit::policy::v1::PolicyService::NewStub(
        grpc::CreateChannel(target, server::MakeChannelCredentials(*tls)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    jit::policy::v1::CheckRequestResponse response;
    EXPECT_EQ(stub->CheckRequest(&ctx, {}, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // A garbage bearer token: UNAUTHENTICATED, never a fall-back to the certificate.
  {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("requests"));
    ASSERT_THAT(tls, IsOk());
    auto stub = jit::policy::v1::PolicyService::NewStub(
        grpc::CreateChannel(target, server::MakeChannelCredentials(*tls)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer not.a.token");
    jit::policy::v1::CheckAccessResponse response;
    EXPECT_EQ(stub->CheckAccess(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  (*p)->Signal(SIGTERM);
  EXPECT_THAT((*p)->Wait(absl::Seconds(30)), IsOkAndHolds(0));
}

}  // namespace
}  // namespace jit
