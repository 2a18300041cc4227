// Issue 13's walkthrough with the jit binary as people run it, against real jit-auth,
// jit-policy (deploy/local's example roles), jit-requests and jit-ca, a real sshd on
// 127.0.0.1 (trusting GetCaPublicKeys' user CA, presenting a host certificate from jit-ca,
// login `devops` for principal `devops`) and a real PostgreSQL that authenticates by
// certificate of the X.509 user CA (role readonly_user, database web_app_db); everything
// started once, stopped by PID.
//   1. alice (dev) logs in with her TOTP; `jit certs` gives her only her own login, so
//      `jit ssh devops@127.0.0.1` is refused by jit, naming the request to make.
//   2. she asks for developer-read-only-jit for 30m.
//   3. she cannot approve it herself, carol (dev) cannot either; bob (dba) lists and approves.
//   4. `jit certs`; `jit ssh devops@... id` prints devops's uid (the host key checked against
//      the host CA); `jit db connect web_app_db --db-user readonly_user -- -c 'select 1'`
//      returns 1; db user postgres is refused by jit before any connection.
//   6. a second request for 15 s is approved; once it has ended, sshd and PostgreSQL refuse
//      the certificates by themselves (plain ssh and psql with jit's files; polled, bounded).
//   7. admin (TOTP) runs `jit audit search`: the request's events once each, in order (created,
//      reviewed, approved), the certificates issued for its grant, alice's logins; `jit audit
//      verify` reports the chain intact.
// Step 5 (revocation through jit-host sync) is not here yet (jit-host is not on main).
#include <pwd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/postgres_tls_server.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/sshd_server.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

using ::jit::testing::RunfilePath;
using ::testing::HasSubstr;
using ::testing::Not;
using testkit::AuthServer;
using testkit::CallContext;
using testkit::PostgresTlsServer;
using testkit::ServiceProcess;
using testkit::SshdServer;

constexpr char kTotp[] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
constexpr char kUnixUser[] = "devops";

struct JitRun {
  int exit_code;
  std::string out;
  std::string err;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

class JitWalkthroughTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new Suite;
    suite_->status = suite_->Start();
  }
  static void TearDownTestSuite() {
    if (suite_ != nullptr) suite_->Stop();
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_OK(suite_->status); }

  static std::string Home(const std::string& person) {
    return absl::StrCat(std::getenv("TEST_TMPDIR"), "/home-", person);
  }

  // Runs `jit <args>` as `person` (their own HOME), stdin from `input`.
  static JitRun Jit(const std::string& person, const std::string& args,
                    const std::string& input = "") {
    const std::string home = Home(person);
    const std::string out = home + ".out", err = home + ".err";
    std::string command = absl::StrCat(
        "(mkdir -p ", home, " && printf '%s\\n' '", input, "' | env HOME=", home,
        " JIT_HOME= JIT_USER= ", RunfilePath("tools/jit/jit"),
        " --auth-addr=", suite_->auth->address(), " --requests-addr=", suite_->requests->address(),
        " --ca-addr=", suite_->ca->address(), " --policy-addr=", suite_->policy->address(),
        " --audit-addr=", suite_->audit->address(),
        " --ca-file=", RunfilePath("common/testing/pki/internal-ca.pem"), " --timeout=20s ", args,
        " >", out, " 2>", err, ")");
    auto [code, combined] = testing::RunShell(command);
    return JitRun{code, testing::ReadFileOrEmpty(out), testing::ReadFileOrEmpty(err)};
  }

  static void Login(const std::string& person, const std::string& totp = "") {
    std::string input = absl::StrCat(person, " password long");
    if (!totp.empty()) absl::StrAppend(&input, "\n", totp);
    JitRun r = Jit(person, absl::StrCat("login --user ", person, " --password-stdin"), input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr("logged in as " + person));
  }

  // The id of alice's newest pending request, as bob sees it.
  static std::string PendingId() {
    std::string id;
    EXPECT_TRUE(testkit::Eventually([&] {
      JitRun ls = Jit("alice", "--format json request ls --mine --state pending");
      size_t at = ls.out.find("\"id\":\"");
      if (ls.exit_code != 0 || at == std::string::npos) return false;
      id = ls.out.substr(at + 6, 36);
      return true;
    }));
    return id;
  }

  // Plain ssh and psql with the files jit keeps for `person`: what sshd and PostgreSQL say.
  static testkit::SshResult PlainSsh(const std::string& person) {
    const std::string dir = Home(person) + "/.jit";
    auto r = suite_->sshd->RunSsh(
        {.private_key = SecretString(testing::ReadFileOrEmpty(dir + "/ssh/id_ed25519")),
         .certificate = testing::ReadFileOrEmpty(dir + "/ssh/id_ed25519-cert.pub"),
         .user = kUnixUser,
         .command = "id -un"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(testkit::SshResult{});
  }
  static testkit::PsqlResult PlainPsql(const std::string& person) {
    const std::string dir = Home(person) + "/.jit";
    auto r = suite_->pg->RunPsql(
        "readonly_user", testing::ReadFileOrEmpty(dir + "/tls/db-readonly_user.crt"),
        SecretString(testing::ReadFileOrEmpty(dir + "/tls/client.key")), "SELECT 1");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(testkit::PsqlResult{});
  }

  struct Suite {
    absl::Status Start() {
      // The login of the article's role, unlocked for certificate logins (PEERS.md).
      if (getpwnam(kUnixUser) == nullptr) {
        auto [code, out] =
            testing::RunShell(absl::StrCat("/usr/sbin/useradd -M -s /bin/sh ", kUnixUser,
                                           " && /usr/sbin/usermod -p '*' ", kUnixUser));
        if (code != 0) return absl::InternalError("useradd devops: " + out);
        created_user = true;
      }
      ASSIGN_OR_RETURN(database, db::testing::TestDatabase::Create());
      // audit and policy name each other: their ports are picked first.
      const int audit_port = testing::PickUnusedPort();
      const int policy_port = testing::PickUnusedPort();
      const std::string audit_addr = absl::StrCat("localhost:", audit_port);
      const std::string policy_addr = absl::StrCat("localhost:", policy_port);
      std::vector<testkit::LocalUser> users = {
          {.name = "alice",
           .roles = {"dev"},
           .password = "alice password long",
           .traits = {{"logins", {"alice"}}},
           .totp_secret_base32 = kTotp},
          {.name = "carol", .roles = {"dev"}, .password = "carol password long"},
          {.name = "bob", .roles = {"dba"}, .password = "bob password long"},
          {.name = "admin",
           .roles = {"admin"},
           .password = "admin password long",
           .totp_secret_base32 = kTotp}};
      ASSIGN_OR_RETURN(auth, AuthServer::StartServing(
                                 {.db_url = database->conninfo(),
                                  .users = users,
                                  .peers = {{"policy", policy_addr}, {"audit", audit_addr}}}));
      ASSIGN_OR_RETURN(std::string dir, testkit::MakeTestDir("walkthrough-ca"));
      ASSIGN_OR_RETURN(std::string checkpoint_key,
                       testkit::WriteKeyEncryptionKeyFile(dir + "/checkpoint.key"));
      ASSIGN_OR_RETURN(audit, ServiceProcess::StartServing(
                                  {.service = "audit",
                                   .db_url = database->conninfo(),
                                   .peers = {{"auth", auth->address()}, {"policy", policy_addr}},
                                   .flags = {"--checkpoint_key_file=" + checkpoint_key},
                                   .port = audit_port}));
      ASSIGN_OR_RETURN(policy,
                       ServiceProcess::StartServing(
                           {.service = "policy",
                            .db_url = database->conninfo(),
                            .peers = {{"auth", auth->address()}, {"audit", audit_addr}},
                            .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")},
                            .port = policy_port}));
      ASSIGN_OR_RETURN(requests, ServiceProcess::StartServing({.service = "requests",
                                                               .db_url = database->conninfo(),
                                                               .peers = {{"auth", auth->address()},
                                                                         {"policy", policy_addr},
                                                                         {"audit", audit_addr}}}));
      ASSIGN_OR_RETURN(std::string kek, testkit::WriteKeyEncryptionKeyFile(dir + "/kek"));
      ASSIGN_OR_RETURN(
          ca, ServiceProcess::StartServing({.service = "ca",
                                            .db_url = database->conninfo(),
                                            .peers = {{"auth", auth->address()},
                                                      {"policy", policy_addr},
                                                      {"requests", requests->address()},
                                                      {"audit", audit_addr}},
                                            .flags = {"--key_encryption_key_file=" + kek}}));
      auto stub =
          testkit::NewStub<ca::v1::CaService>(ca->address(), testkit::AnonymousCredentials());
      ca::v1::GetCaPublicKeysResponse trust;
      RETURN_IF_ERROR(FromGrpcStatus(stub->GetCaPublicKeys(CallContext().get(), {}, &trust)));

      // sshd: trusts the user CA, presents a host certificate of jit-ca (signed by admin).
      ASSIGN_OR_RETURN(std::string admin_token, auth->LoginToken("admin"));
      ASSIGN_OR_RETURN(sshd, SshdServer::Create());
      ca::v1::SignHostSshCertRequest host;
      host.set_public_key(sshd->host_key().ToLine());
      host.add_principals("127.0.0.1");
      ca::v1::SignHostSshCertResponse host_cert;
      RETURN_IF_ERROR(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
        return FromGrpcStatus(
            stub->SignHostSshCert(CallContext(admin_token).get(), host, &host_cert));
      }));
      RETURN_IF_ERROR(sshd->Start({.trusted_user_ca_keys = Lines(trust.trusted_user_ca_keys()),
                                   .authorized_principals = {{kUnixUser, {kUnixUser}}},
                                   .host_certificate = host_cert.certificate()}));
      ASSIGN_OR_RETURN(pg, PostgresTlsServer::Start({.client_ca_pem = trust.x509_ca_bundle_pem(),
                                                     .roles = {"readonly_user", "postgres_app"}}));
      ASSIGN_OR_RETURN(testkit::PsqlResult created,
                       pg->RunAsSuperuser("CREATE DATABASE web_app_db"));
      if (created.exit_code != 0) return absl::InternalError("createdb: " + created.output);
      // Each person's jit finds the database in ~/.jit/config.
      for (const std::string person : {"alice", "carol", "bob", "admin"}) {
        const std::string jit_dir = absl::StrCat(Home(person), "/.jit");
        auto [code, out] = testing::RunShell("mkdir -p -m 0700 " + jit_dir);
        if (code != 0) return absl::InternalError(out);
        RETURN_IF_ERROR(testkit::WriteTestFile(jit_dir + "/server-ca.pem", pg->server_ca_pem()));
        RETURN_IF_ERROR(testkit::WriteTestFile(
            jit_dir + "/config",
            absl::StrCat("db.web_app_db.addr = 127.0.0.1:", pg->port(),
                         "\ndb.web_app_db.server_ca_file = ", jit_dir, "/server-ca.pem\n")));
      }
      return absl::OkStatus();
    }

    void Stop() {
      if (pg != nullptr) {
        EXPECT_OK(pg->Stop());
      }
      if (sshd != nullptr) {
        EXPECT_OK(sshd->Stop());
      }
      for (ServiceProcess* s : {ca.get(), requests.get(), policy.get(), audit.get()}) {
        if (s != nullptr) {
          EXPECT_OK(s->Stop());
        }
      }
      if (auth != nullptr) {
        EXPECT_OK(auth->Stop());
      }
      if (created_user) testing::RunShell(absl::StrCat("/usr/sbin/userdel ", kUnixUser));
    }

    absl::Status status;
    bool created_user = false;
    std::unique_ptr<db::testing::TestDatabase> database;  // outlives the services
    std::unique_ptr<AuthServer> auth;
    std::unique_ptr<ServiceProcess> audit, policy, requests, ca;
    std::unique_ptr<SshdServer> sshd;
    std::unique_ptr<PostgresTlsServer> pg;
  };
  static inline Suite* suite_ = nullptr;
};

TEST_F(JitWalkthroughTest, TheArticlesStory) {
  const std::string ssh_args = absl::StrCat("ssh devops@127.0.0.1 -p ", suite_->sshd->port());

  // 1. alice logs in (password and TOTP); her base role gives her own login only.
  ASSERT_OK_AND_ASSIGN(std::string code, suite_->auth->NextTotpCode("alice"));
  Login("alice", code);
  JitRun r;
  ASSERT_TRUE(testkit::Eventually([&] {
    r = Jit("alice", "certs");
    return r.exit_code == 0;
  })) << r.err;
  EXPECT_THAT(r.out, HasSubstr("logins alice"));
  EXPECT_THAT(r.out, HasSubstr("no active grant"));
  r = Jit("alice", ssh_args + " id");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not allow login \"devops\""));
  EXPECT_THAT(r.err, HasSubstr("jit request create --roles"));

  // 2. alice asks for the article's role.
  r = Jit("alice",
          "request create --roles developer-read-only-jit --reason 'Investigating dashboard "
          "latency' --duration 30m");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("is pending"));
  const std::string id = PendingId();
  ASSERT_EQ(id.size(), 36u);
  const std::string prefix = id.substr(0, 8);

  // 3. Not by herself, not by carol; bob lists what he may review and approves.
  r = Jit("alice", "request approve " + prefix + " --reason mine");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("own request"));
  Login("carol");
  r = Jit("carol", "request approve " + id + " --reason 'looks fine'");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  Login("bob");
  r = Jit("bob", "request ls --reviewable --state pending");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(prefix));
  r = Jit("bob", "request approve " + prefix + " --reason 'INC-1 ok'");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // 4. Certificates for the grant; ssh as devops (host key checked by the host CA); psql.
  r = Jit("alice", "certs");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("devops"));
  EXPECT_THAT(r.out, HasSubstr("grants: " + prefix));
  const size_t mark = suite_->sshd->LogSize();
  r = Jit("alice", ssh_args + " id");
  ASSERT_EQ(r.exit_code, 0) << r.err << suite_->sshd->LogSince(mark);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("uid=[0-9]+\\(devops\\)"));
  r = Jit("alice", "db connect web_app_db --db-user readonly_user -- -c 'select 1'");
  ASSERT_EQ(r.exit_code, 0) << r.err << suite_->pg->Log();
  EXPECT_THAT(r.out, HasSubstr("(1 row)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\n +1\n"));
  const size_t pg_mark = suite_->pg->LogSize();
  r = Jit("alice", "db connect web_app_db --db-user postgres_app -- -c 'select 1'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("jit did not connect to web_app_db"));
  EXPECT_THAT(r.err, HasSubstr("postgres_app"));
  EXPECT_THAT(suite_->pg->LogSince(pg_mark), Not(HasSubstr("postgres_app")));

  // 6. A grant of a few seconds: once it ends, sshd and PostgreSQL refuse by themselves.
  r = Jit("alice",
          "request create --roles developer-read-only-jit --reason 'INC-2 short look' "
          "--duration 15s");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The first grant is still on: cancel nothing, but use only the short one.
  std::string short_id;
  ASSERT_TRUE(testkit::Eventually([&] {
    JitRun ls = Jit("alice", "--format json request ls --mine --state pending");
    size_t at = ls.out.find("\"id\":\"");
    if (ls.exit_code != 0 || at == std::string::npos) return false;
    short_id = ls.out.substr(at + 6, 36);
    return true;
  }));
  r = Jit("bob", "request approve " + short_id + " --reason 'INC-2 ok'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Jit("alice", "certs --request-id " + short_id);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Jit("alice", "db connect web_app_db --db-user readonly_user -- -c 'select 1'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(PlainSsh("alice").exit_code, 0);
  size_t expired_mark = suite_->sshd->LogSize();
  EXPECT_TRUE(testkit::Eventually(
      [&] {
        expired_mark = suite_->sshd->LogSize();
        return PlainSsh("alice").exit_code == 255 &&
               absl::StrContains(suite_->sshd->LogSince(expired_mark),
                                 "Certificate invalid: expired");
      },
      absl::Seconds(40)))
      << suite_->sshd->LogSince(expired_mark);
  testkit::PsqlResult psql;
  EXPECT_TRUE(testkit::Eventually(
      [&] {
        psql = PlainPsql("alice");
        return psql.exit_code != 0 && absl::StrContains(psql.output, "certificate expired");
      },
      absl::Seconds(40)))
      << psql.output;
  // And jit says so before trying.
  r = Jit("alice", ssh_args + " id");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("expired"));
  EXPECT_THAT(r.err, HasSubstr("run `jit certs`"));

  // 7. The audit log, read by admin: every step once, in order; the chain intact.
  ASSERT_OK_AND_ASSIGN(std::string admin_code, suite_->auth->NextTotpCode("admin"));
  Login("admin", admin_code);
  std::vector<std::string> types;
  ASSERT_TRUE(testkit::Eventually([&] {
    r = Jit("admin", "--format json audit search --request " + id);
    types.clear();
    for (size_t at = r.out.find("\"type\":\""); at != std::string::npos;
         at = r.out.find("\"type\":\"", at + 1)) {
      types.push_back(r.out.substr(at + 8, r.out.find('"', at + 8) - at - 8));
    }
    return r.exit_code == 0 &&
           std::count(types.begin(), types.end(), "access_request.approve") == 1;
  })) << r.err
      << r.out;
  auto index = [&](const std::string& t) {
    return std::find(types.begin(), types.end(), t) - types.begin();
  };
  EXPECT_EQ(std::count(types.begin(), types.end(), "access_request.create"), 1) << r.out;
  EXPECT_LT(index("access_request.create"), index("access_request.review")) << r.out;
  EXPECT_LT(index("access_request.review"), index("access_request.approve")) << r.out;
  r = Jit("admin", "audit search --type 'access_request.*' --user bob");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("access_request.approve"));
  EXPECT_THAT(r.out, HasSubstr(prefix));
  // Certificates for the first grant (ssh and the database), and alice's login.
  ASSERT_TRUE(testkit::Eventually([&] {
    r = Jit("admin", "--format json audit search --type cert.issue --user alice");
    size_t n = 0;
    for (size_t at = r.out.find(id); at != std::string::npos; at = r.out.find(id, at + 1)) ++n;
    return r.exit_code == 0 && n >= 2;
  })) << r.err
      << r.out;
  r = Jit("admin", "audit search --type auth.login --user alice");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("auth.login"));
  r = Jit("admin", "audit verify");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("audit chain intact"));
}

}  // namespace
}  // namespace jit
