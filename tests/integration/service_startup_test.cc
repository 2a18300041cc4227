// Start-up behaviour shared by every service binary (common/server/service_main), tested on
// the real binaries against the real PostgreSQL that tests/run.sh provides.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/testing/test_database.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/raw_call.h"
#include "common/testing/reflection_client.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "common/version.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "pqxx/pqxx"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/metrics_scrape.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::StatusIs;
using ::jit::testing::Subprocess;
using ::jit::testing::TestTempPath;
using ::jit::testkit::AllServices;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::CallContext;
using ::jit::testkit::NewStub;
using ::jit::testkit::ServiceBinary;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceOptions;
using ::jit::testkit::ServiceProcess;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

// `service` against the database at `db_url`; jit-auth and jit-ca also get the key-encryption
// key and jit-audit the checkpoint key they refuse to start without.
ServiceOptions OptionsFor(const std::string& service, const std::string& db_url) {
  ServiceOptions options = {.service = service, .db_url = db_url};
  if (service == "auth" || service == "ca") {
    absl::StatusOr<std::string> kek = jit::testkit::WriteKeyEncryptionKeyFile(TestTempPath("kek"));
    EXPECT_THAT(kek, IsOk());
    options.flags.push_back("--key_encryption_key_file=" + kek.value_or(""));
  }
  if (service == "audit") {
    // The checkpoint signing seed has the same form: the base64 of 32 random bytes, 0600.
    absl::StatusOr<std::string> seed =
        jit::testkit::WriteKeyEncryptionKeyFile(TestTempPath("checkpoint.key"));
    EXPECT_THAT(seed, IsOk());
    options.flags.push_back("--checkpoint_key_file=" + seed.value_or(""));
  }
  return options;
}

// The test binary built on common/server/service_main with its own schema "itest".
ServiceOptions ItestOptions(const std::string& db_url) {
  return {.service = "itest",
          .db_url = db_url,
          .binary = "tests/integration/jit-itest",
          .pki_name = "server"};
}

class ServiceStartupTest : public db::testing::PostgresTest {};

TEST(ServiceFlagsTest, EveryServiceRejectsAnUnknownFlagWithOneLine) {
  for (const std::string& service : AllServices()) {
    const std::string out = TestTempPath("unknown-flag-" + service + ".txt");
    auto p = Subprocess::Start({ServiceBinary(service), "--no_such_flag=1"}, out);
    ASSERT_THAT(p, IsOk());
    auto code = (*p)->Wait(absl::Seconds(30));
    ASSERT_THAT(code, IsOk());
    EXPECT_EQ(*code, 2) << service;
    EXPECT_THAT(NonEmptyLines((*p)->Output()), SizeIs(1)) << (*p)->Output();
    EXPECT_THAT((*p)->Output(), HasSubstr("unknown flag --no_such_flag")) << service;
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
  const std::string open_password = TestTempPath("open.password");
  const std::string empty_password = TestTempPath("empty.password");
  ASSERT_OK(jit::testkit::WriteTestFile(open_password, "hunter2\n", 0644));
  ASSERT_OK(jit::testkit::WriteTestFile(empty_password, "", 0600));
  const std::vector<Case> cases = {
      {{"--db_pool_size=0"}, "db_pool_size"},
      {{"--db_pool_size=abc"}, "db_pool_size"},
      {{"--listen_addr=nonsense"}, "listen_addr"},
      {{"--rpc_timeout=-1s"}, "rpc_timeout"},
      {{"--rpc_timeout=inf"}, "rpc_timeout"},
      {{"--rpc_timeout", "5"}, "rpc_timeout"},
      {{"--drain_timeout=2h"}, "drain_timeout"},
      {{"--db_connect_timeout=100000h"}, "db_connect_timeout"},
      {{"--db_password_file=" + open_password}, "db_password_file"},
      {{"--db_password_file=" + empty_password}, "db_password_file"},
      {{"--log_level=chatty"}, "log_level"},
      {{"--tls_cert_file=/nonexistent.pem"}, "tls_cert_file"},
      {{"--db_url=postgresql://x:hunter2@127.0.0.1:1/jit"}, "db_url"},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::vector<std::string> argv = {ServiceBinary("policy")};
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
  auto p = Subprocess::Start({ServiceBinary("ca")}, TestTempPath("missing.txt"));
  ASSERT_THAT(p, IsOk());
  auto code = (*p)->Wait(absl::Seconds(30));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT((*p)->Output(), HasSubstr("tls_cert_file: must be set"));
}

TEST(ServiceFlagsTest, EnvironmentVariableOverridesFlagDefault) {
  auto p = Subprocess::Start({ServiceBinary("audit")}, TestTempPath("env.txt"),
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
    ASSERT_OK_AND_ASSIGN(
        auto p, ServiceProcess::Start(OptionsFor(
                    service, absl::StrCat("postgresql://jit@127.0.0.1:", closed_port, "/jit"))));
    auto code = p->WaitExit(absl::Seconds(60));
    ASSERT_THAT(code, IsOk()) << service;
    EXPECT_EQ(*code, 1) << service;
    const std::vector<std::string> stderr_lines = [&] {
      std::vector<std::string> lines;
      for (const std::string& l : NonEmptyLines(p->Output())) {
        // Log lines (timestamped) go to stderr too; the reason is the "jit-<svc>:" line.
        if (absl::StartsWith(l, "jit-")) lines.push_back(l);
      }
      return lines;
    }();
    ASSERT_THAT(stderr_lines, SizeIs(1)) << p->Output();
    EXPECT_THAT(stderr_lines[0], AllOf(HasSubstr("jit-" + service + ": database:"),
                                       HasSubstr(absl::StrCat(closed_port))));
  }
}

// Each service's own flags are checked right after parsing, before the database: a bad one
// exits 2 naming it even though the database cannot be reached (which alone exits 1).
TEST(ServiceFlagsTest, BadServiceFlagExitsTwoBeforeTheDatabase) {
  const int closed_port = PickUnusedPort();
  const std::string db_url = absl::StrCat("postgresql://jit@127.0.0.1:", closed_port, "/jit");
  struct Case {
    std::string service;
    std::string flag;
    std::string names;
  };
  const std::string missing = TestTempPath("no-such-file.yaml");
  for (const Case& c : std::vector<Case>{
           {"auth", "--session_ttl=1s", "session_ttl"},
           {"auth", "--lockout_max_failures=0", "lockout_max_failures"},
           {"auth", "--bootstrap_users_file=" + missing, "bootstrap_users_file"},
           {"policy", "--role_poll_interval=1h", "role_poll_interval"},
           {"policy", "--decision_hook_url=http://example.com/opa", "decision_hook"},
           {"policy", "--decision_hook_token_file=" + missing, "decision_hook_url"},
           {"audit", "--checkpoint_key_file=" + missing, "checkpoint_key_file"},
           {"audit", "--checkpoint_interval=0s", "checkpoint_interval"},
           {"audit", "--export_file_max_age=2h", "export_dir"},
       }) {
    ServiceOptions options = OptionsFor(c.service, db_url);
    options.flags.push_back(c.flag);
    ASSERT_OK_AND_ASSIGN(auto p, ServiceProcess::Start(options));
    auto code = p->WaitExit(absl::Seconds(60));
    ASSERT_THAT(code, IsOk()) << c.flag;
    EXPECT_EQ(*code, 2) << c.flag << ": " << p->Output();
    EXPECT_THAT(NonEmptyLines(p->Output()), SizeIs(1)) << p->Output();
    EXPECT_THAT(p->Output(), AllOf(HasSubstr(c.names), Not(HasSubstr("database")))) << c.flag;
  }
}

// --help lists every flag the binary takes (the common ones and its own) with its default,
// --version the version; both exit 0 without needing any other flag.
TEST(ServiceFlagsTest, EveryBinaryAnswersHelpAndVersion) {
  struct Binary {
    std::string name;
    std::string path;
    std::vector<std::string> flags;  // some of the flags it takes, with their defaults
  };
  const std::vector<std::string> common = {
      "--db_url (default \"\")", "--db_pool_size (default 8)", "--rpc_timeout (default 5s)",
      "--tls_cert_file (default \"\")", "--policy_addr (default localhost:7104)"};
  std::vector<Binary> binaries;
  for (const std::string& service : AllServices()) {
    binaries.push_back({"jit-" + service, ServiceBinary(service), common});
  }
  binaries[0].flags.push_back("--key_encryption_key_file (default \"\")");  // auth
  binaries[0].flags.push_back("--session_ttl (default 8h)");
  binaries[3].flags.push_back("--roles_dir (default \"\")");  // policy
  binaries[3].flags.push_back("--role_poll_interval (default 500ms)");
  binaries[4].flags.push_back("--checkpoint_key_file (default \"\")");  // audit
  binaries[4].flags.push_back("--export_dir (default \"\")");
  binaries.push_back({"jit-bootstrap",
                      jit::testing::RunfilePath("tools/jit-bootstrap/jit-bootstrap"),
                      {"--dir (default \"\")", "--force (default false)"}});
  binaries.push_back({"jit-health-probe",
                      jit::testing::RunfilePath("tools/health_probe/jit-health-probe"),
                      {"--addr (default \"\")", "--timeout (default 2s)"}});
  int n = 0;
  for (const Binary& b : binaries) {
    auto help = Subprocess::Start({b.path, "--help"}, TestTempPath(absl::StrCat("help-", n++)));
    ASSERT_THAT(help, IsOk());
    ASSERT_THAT((*help)->Wait(absl::Seconds(30)), IsOkAndHolds(0)) << b.name;
    for (const std::string& flag : b.flags) {
      EXPECT_THAT((*help)->Output(), HasSubstr("  " + flag + "\n")) << b.name;
    }
    EXPECT_THAT((*help)->Output(), Not(HasSubstr("--flagfile"))) << b.name;
    auto version =
        Subprocess::Start({b.path, "--version"}, TestTempPath(absl::StrCat("version-", n++)));
    ASSERT_THAT(version, IsOk());
    ASSERT_THAT((*version)->Wait(absl::Seconds(30)), IsOkAndHolds(0)) << b.name;
    EXPECT_EQ((*version)->Output(), absl::StrCat(b.name, " ", kVersion, "\n"));
  }
}

TEST_F(ServiceStartupTest, TwoReplicasStartedTogetherMigrateOnce) {
  const std::string url = db().conninfo();
  // Both processes are started before either could have finished migrating.
  ASSERT_OK_AND_ASSIGN(auto a, ServiceProcess::Start(ItestOptions(url)));
  ASSERT_OK_AND_ASSIGN(auto b, ServiceProcess::Start(ItestOptions(url)));
  EXPECT_OK(a->WaitServing());
  EXPECT_OK(b->WaitServing());

  pqxx::connection conn(url);
  pqxx::work txn(conn);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log WHERE version = 1")[0].as<int>(),
            1);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log WHERE version = 2")[0].as<int>(),
            1);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.schema_migrations")[0].as<int>(), 2);

  EXPECT_OK(a->Stop());
  EXPECT_OK(b->Stop());
}

TEST_F(ServiceStartupTest, RestartFindsSchemaUpToDate) {
  const std::string url = db().conninfo();
  for (int round = 0; round < 2; ++round) {
    ASSERT_OK_AND_ASSIGN(auto p, ServiceProcess::StartServing(ItestOptions(url)));
    EXPECT_OK(p->Stop());
  }
  pqxx::connection conn(url);
  pqxx::work txn(conn);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM itest.migration_log")[0].as<int>(), 2);
}

TEST_F(ServiceStartupTest, EveryServiceServesHealthAndPromtoolCleanMetrics) {
  for (const std::string& service : AllServices()) {
    ASSERT_OK_AND_ASSIGN(auto p,
                         ServiceProcess::StartServing(OptionsFor(service, db().conninfo())));

    // Start-up polled health until SERVING (more than once when a service answered
    // NOT_SERVING first); one more check must add exactly one to the counter.
    const std::string series = absl::StrCat("jit_", service,
                                            "_grpc_server_handled_total{code=\"OK\","
                                            "method=\"/grpc.health.v1.Health/Check\"}");
    ASSERT_OK_AND_ASSIGN(const std::string before, jit::testkit::ScrapeMetrics(p->metrics_port()));
    ASSERT_OK_AND_ASSIGN(const double checks, jit::testkit::SampleValue(before, series));
    EXPECT_GE(checks, 1) << service;
    ASSERT_OK(p->WaitServing(absl::Seconds(5)));
    ASSERT_OK_AND_ASSIGN(const std::string scrape, jit::testkit::ScrapeMetrics(p->metrics_port()));
    EXPECT_THAT(jit::testkit::SampleValue(scrape, series), IsOkAndHolds(checks + 1)) << service;
    EXPECT_OK(jit::testkit::PromtoolCheck(scrape, service)) << service;

    EXPECT_OK(p->Stop());
    EXPECT_THAT(p->Output(), HasSubstr("draining"));
  }
}

// --health_addr: the plaintext port Kubernetes' gRPC probes use answers health, nothing else.
TEST_F(ServiceStartupTest, HealthAddrAnswersPlaintextHealthOnly) {
  ServiceOptions options = ItestOptions(db().conninfo());
  const int health_port = PickUnusedPort();
  options.flags.push_back(absl::StrCat("--health_addr=127.0.0.1:", health_port));
  ASSERT_OK_AND_ASSIGN(auto p, ServiceProcess::StartServing(options));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", health_port),
                                     grpc::InsecureChannelCredentials());

  grpc::ClientContext check_ctx;
  check_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(grpc::health::v1::Health::NewStub(channel)
                  ->Check(&check_ctx, grpc::health::v1::HealthCheckRequest(), &response)
                  .ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  grpc::ClientContext api_ctx;
  api_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(
      jit::testing::RawUnaryCall(*channel, "/jit.policy.v1.PolicyService/ListRoles", "", &api_ctx)
          .error_code(),
      grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_OK(p->Stop());
}

TEST_F(ServiceStartupTest, ServerReflectionListsTheApiToAuthenticatedCallersOnly) {
  ASSERT_OK_AND_ASSIGN(auto p, ServiceProcess::StartServing(OptionsFor("policy", db().conninfo())));
  ASSERT_OK_AND_ASSIGN(
      const std::vector<std::string> services,
      jit::testing::ListServicesByReflection(
          grpc::CreateChannel(p->address(), ServiceCredentials("ca")), *CallContext()));
  EXPECT_THAT(services,
              AllOf(Contains("jit.policy.v1.PolicyService"), Contains("grpc.health.v1.Health")));
  EXPECT_THAT(jit::testing::ListServicesByReflection(
                  grpc::CreateChannel(p->address(), AnonymousCredentials()), *CallContext()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(p->Stop());
}

TEST_F(ServiceStartupTest, CallsWithoutAcceptableCredentialsAreRefusedBeforeTheHandler) {
  ASSERT_OK_AND_ASSIGN(auto p, ServiceProcess::StartServing(OptionsFor("policy", db().conninfo())));
  namespace pb = ::jit::policy::v1;

  // No client certificate and no token: UNAUTHENTICATED.
  {
    auto stub = NewStub<pb::PolicyService>(p->address(), AnonymousCredentials());
    pb::ListRolesResponse response;
    EXPECT_EQ(stub->ListRoles(CallContext().get(), {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // A valid service certificate of a service the method does not admit: PERMISSION_DENIED.
  {
    auto stub = NewStub<pb::PolicyService>(p->address(), ServiceCredentials("client"));
    pb::CheckRequestResponse response;
    EXPECT_EQ(stub->CheckRequest(CallContext().get(), {}, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // A garbage bearer token: UNAUTHENTICATED, never a fall-back to the certificate.
  {
    auto stub = NewStub<pb::PolicyService>(p->address(), ServiceCredentials("requests"));
    pb::CheckAccessResponse response;
    EXPECT_EQ(stub->CheckAccess(CallContext("not.a.token").get(), {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_OK(p->Stop());
}

}  // namespace
}  // namespace jit
