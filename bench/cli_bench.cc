// The jit CLI's figures (issue 13), side by side in one run, against real jit-auth,
// jit-policy (deploy/local's example roles), jit-requests and jit-ca on 127.0.0.1 and a
// real sshd trusting jit-ca (host certificate from jit-ca); PostgreSQL for the services'
// databases from JIT_TEST_PG_URL (tests/lib/pg.sh). Every figure is a run of the jit binary
// as a shell would run it (process start included).
//
//   bazel run -c opt //bench:cli_bench --test_env... (or JIT_TEST_PG_URL=... bazel-bin/...)
//   JIT_BENCH_SMOKE=1 ...: fewer repetitions and 100 pending requests instead of 1,000.
//
// 1. `jit ssh devops@127.0.0.1 -p P true` with valid cached certificates against plain `ssh`
//    with the same key, certificate and known_hosts (alternating, median of 20 each):
//    GOAL jit_ssh_added_ms (<= 20 ms). jit makes no RPC on this path (it reads the files).
// 2. `jit certs` after approval: its RPCs (counted from its code path: WhoAmI, ListRequests,
//    SignUserSshCert, GetCaPublicKeys, SignUserX509Cert) and wall time (median of 10), next
//    to REF tls_connect_rpc: a fresh TLS channel + one WhoAmI in this process (median of 10).
//    GOAL jit_certs_vs_connect_rpc (<= 3x).
// 3. `jit request ls --reviewable --state pending` as the reviewer with 1,000 pending
//    requests (median of 5): GOAL request_ls_1000_pending_ms (<= 200 ms).
#include <pwd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/client/user_session.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/sshd_server.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

using ::jit::testing::RunfilePath;
using testkit::AuthServer;
using testkit::CallContext;
using testkit::ServiceProcess;

constexpr char kUnixUser[] = "devops";
constexpr char kTotp[] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "cli_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

struct Run {
  int code;
  std::string out;
  double ms;
};

class Bench {
 public:
  absl::Status Start() {
    if (getpwnam(kUnixUser) == nullptr) {
      auto [code, out] =
          testing::RunShell(absl::StrCat("/usr/sbin/useradd -M -s /bin/sh ", kUnixUser,
                                         " && /usr/sbin/usermod -p '*' ", kUnixUser));
      if (code != 0) return absl::InternalError("useradd devops: " + out);
      created_user_ = true;
    }
    absl::StatusOr<std::unique_ptr<db::testing::TestDatabase>> db =
        db::testing::TestDatabase::Create();
    if (!db.ok()) return db.status();
    database_ = *std::move(db);
    std::vector<testkit::LocalUser> users = {
        {.name = "alice",
         .roles = {"dev"},
         .password = "alice password long",
         .traits = {{"logins", {"alice"}}},
         .totp_secret_base32 = kTotp},
        {.name = "bob", .roles = {"dba"}, .password = "bob password long"},
        {.name = "admin",
         .roles = {"admin"},
         .password = "admin password long",
         .totp_secret_base32 = kTotp}};
    auto auth = AuthServer::StartServing({.db_url = database_->conninfo(), .users = users});
    if (!auth.ok()) return auth.status();
    auth_ = *std::move(auth);
    auto policy = ServiceProcess::StartServing(
        {.service = "policy",
         .db_url = database_->conninfo(),
         .peers = {{"auth", auth_->address()}},
         .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")}});
    if (!policy.ok()) return policy.status();
    policy_ = *std::move(policy);
    auto requests = ServiceProcess::StartServing(
        {.service = "requests",
         .db_url = database_->conninfo(),
         .peers = {{"auth", auth_->address()}, {"policy", policy_->address()}}});
    if (!requests.ok()) return requests.status();
    requests_ = *std::move(requests);
    auto dir = testkit::MakeTestDir("cli-bench");
    if (!dir.ok()) return dir.status();
    dir_ = *dir;
    auto kek = testkit::WriteKeyEncryptionKeyFile(dir_ + "/kek");
    if (!kek.ok()) return kek.status();
    auto ca = ServiceProcess::StartServing({.service = "ca",
                                            .db_url = database_->conninfo(),
                                            .peers = {{"auth", auth_->address()},
                                                      {"policy", policy_->address()},
                                                      {"requests", requests_->address()}},
                                            .flags = {"--key_encryption_key_file=" + *kek}});
    if (!ca.ok()) return ca.status();
    ca_ = *std::move(ca);

    auto stub =
        testkit::NewStub<ca::v1::CaService>(ca_->address(), testkit::AnonymousCredentials());
    ca::v1::GetCaPublicKeysResponse trust;
    if (absl::Status s = FromGrpcStatus(stub->GetCaPublicKeys(CallContext().get(), {}, &trust));
        !s.ok()) {
      return s;
    }
    auto admin_token = auth_->LoginToken("admin");
    if (!admin_token.ok()) return admin_token.status();
    auto sshd = testkit::SshdServer::Create();
    if (!sshd.ok()) return sshd.status();
    sshd_ = *std::move(sshd);
    ca::v1::SignHostSshCertRequest host;
    host.set_public_key(sshd_->host_key().ToLine());
    host.add_principals("127.0.0.1");
    ca::v1::SignHostSshCertResponse host_cert;
    if (absl::Status s =
            testkit::EventuallyStatus(absl::StatusCode::kOk,
                                      [&] {
                                        return FromGrpcStatus(stub->SignHostSshCert(
                                            CallContext(*admin_token).get(), host, &host_cert));
                                      });
        !s.ok()) {
      return s;
    }
    std::vector<std::string> user_ca;
    for (absl::string_view l :
         absl::StrSplit(trust.trusted_user_ca_keys(), '\n', absl::SkipEmpty())) {
      user_ca.emplace_back(l);
    }
    return sshd_->Start({.trusted_user_ca_keys = user_ca,
                         .authorized_principals = {{kUnixUser, {kUnixUser}}},
                         .host_certificate = host_cert.certificate()});
  }

  void Stop() {
    if (sshd_ != nullptr) (void)sshd_->Stop();
    for (ServiceProcess* s : {ca_.get(), requests_.get(), policy_.get()}) {
      if (s != nullptr) (void)s->Stop();
    }
    if (auth_ != nullptr) (void)auth_->Stop();
    if (created_user_) testing::RunShell(absl::StrCat("/usr/sbin/userdel ", kUnixUser));
  }

  std::string Home(const std::string& person) const { return dir_ + "/home-" + person; }

  std::vector<std::string> JitArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        RunfilePath("tools/jit/jit"),
        "--auth-addr=" + auth_->address(),
        "--requests-addr=" + requests_->address(),
        "--ca-addr=" + ca_->address(),
        "--ca-file=" + RunfilePath("common/testing/pki/internal-ca.pem"),
        "--timeout=20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Runs argv as `person` (HOME), stdin from `input`; times the whole process.
  Run Exec(const std::string& person, const std::vector<std::string>& argv,
           const std::string& input = "") const {
    std::string command = absl::StrCat("mkdir -p ", Home(person), " && printf '%s\\n' '", input,
                                       "' | env HOME=", Home(person), " JIT_HOME=");
    for (const std::string& a : argv) absl::StrAppend(&command, " '", a, "'");
    absl::StrAppend(&command, " 2>&1");
    const absl::Time start = absl::Now();
    auto [code, out] = testing::RunShell(command);
    return {code, out, Ms(absl::Now() - start)};
  }
  Run Jit(const std::string& person, const std::vector<std::string>& args,
          const std::string& input = "") const {
    return Exec(person, JitArgv(args), input);
  }

  AuthServer& auth() { return *auth_; }
  ServiceProcess& requests() { return *requests_; }
  int ssh_port() const { return sshd_->port(); }

 private:
  bool created_user_ = false;
  std::string dir_;
  std::unique_ptr<db::testing::TestDatabase> database_;
  std::unique_ptr<AuthServer> auth_;
  std::unique_ptr<ServiceProcess> policy_, requests_, ca_;
  std::unique_ptr<testkit::SshdServer> sshd_;
};

std::string Goal(double measured, double target, bool below, const char* unit) {
  const bool pass = below ? measured <= target : measured >= target;
  return absl::StrCat("measured=", absl::StrFormat("%.2f", measured), unit,
                      " target=", absl::StrFormat("%.2f", target), unit, pass ? " PASS" : " MISS");
}

int Main() {
  const char* smoke_env = std::getenv("JIT_BENCH_SMOKE");
  const bool smoke = smoke_env != nullptr && std::strcmp(smoke_env, "0") != 0;
  const int ssh_runs = smoke ? 5 : 20, certs_runs = smoke ? 3 : 10, ls_runs = smoke ? 3 : 5;
  const int pending = smoke ? 100 : 1000;
  std::printf("cli_bench%s\n", smoke ? " (SMOKE run: figures are indicative only)" : "");

  Bench b;
  if (absl::Status s = b.Start(); !s.ok()) {
    b.Stop();
    Die("start", s);
  }
  // alice logs in with TOTP, asks, bob approves (the grant carries login devops).
  auto code = b.auth().NextTotpCode("alice");
  if (!code.ok()) Die("totp", code.status());
  Run r = b.Jit("alice", {"login", "--user", "alice", "--password-stdin"},
                absl::StrCat("alice password long\n", *code));
  if (r.code != 0) Die("alice login", absl::InternalError(r.out));
  r = b.Jit("bob", {"login", "--user", "bob", "--password-stdin"}, "bob password long");
  if (r.code != 0) Die("bob login", absl::InternalError(r.out));
  if (!testkit::Eventually([&] {
        r = b.Jit("alice", {"request", "create", "--roles", "developer-read-only-jit", "--reason",
                            "bench", "--duration", "1h"});
        return r.code == 0;
      })) {
    Die("request create", absl::InternalError(r.out));
  }
  r = b.Jit("alice", {"--format", "json", "request", "ls", "--mine", "--state", "pending"});
  const size_t at = r.out.find("\"id\":\"");
  if (at == std::string::npos) Die("request ls", absl::InternalError(r.out));
  const std::string id = r.out.substr(at + 6, 36);
  r = b.Jit("bob", {"request", "approve", id, "--reason", "bench"});
  if (r.code != 0) Die("approve", absl::InternalError(r.out));

  // 2. jit certs vs one bare TLS connect + one RPC.
  std::vector<double> certs_ms, connect_ms;
  auto token = b.auth().LoginToken("bob");
  if (!token.ok()) Die("bob token", token.status());
  const std::string ca_pem =
      testing::ReadFileOrEmpty(RunfilePath("common/testing/pki/internal-ca.pem"));
  for (int i = 0; i < certs_runs; ++i) {
    r = b.Jit("alice", {"certs"});
    if (r.code != 0) Die("jit certs", absl::InternalError(r.out));
    certs_ms.push_back(r.ms);
    const absl::Time start = absl::Now();
    client::UserSession session("auth", b.auth().address(), ca_pem, *token, absl::Seconds(20));
    auto stub = auth::v1::AuthService::NewStub(session.channel());
    auto who = session.Call(*stub, &auth::v1::AuthService::Stub::WhoAmI, auth::v1::WhoAmIRequest());
    if (!who.ok()) Die("WhoAmI", who.status());
    connect_ms.push_back(Ms(absl::Now() - start));
  }
  const double certs = Median(certs_ms), connect = Median(connect_ms);

  // 1. jit ssh with cached certificates vs plain ssh with the same files.
  const std::string jit_dir = b.Home("alice") + "/.jit";
  const std::string port = absl::StrCat(b.ssh_port());
  const std::vector<std::string> plain = {"/usr/bin/ssh",
                                          "-i",
                                          jit_dir + "/ssh/id_ed25519",
                                          "-o",
                                          "CertificateFile=" + jit_dir + "/ssh/id_ed25519-cert.pub",
                                          "-o",
                                          "IdentitiesOnly=yes",
                                          "-o",
                                          "IdentityAgent=none",
                                          "-o",
                                          "UserKnownHostsFile=" + jit_dir + "/ssh/known_hosts",
                                          "-o",
                                          "GlobalKnownHostsFile=/dev/null",
                                          "-o",
                                          "StrictHostKeyChecking=yes",
                                          "-o",
                                          "UpdateHostKeys=no",
                                          "-p",
                                          port,
                                          "-l",
                                          kUnixUser,
                                          "--",
                                          "127.0.0.1",
                                          "true"};
  std::vector<double> jit_ssh_ms, plain_ssh_ms;
  for (int i = 0; i < ssh_runs; ++i) {
    r = b.Jit("alice", {"ssh", absl::StrCat(kUnixUser, "@127.0.0.1"), "-p", port, "true"});
    if (r.code != 0) Die("jit ssh", absl::InternalError(r.out));
    jit_ssh_ms.push_back(r.ms);
    r = b.Exec("alice", plain);
    if (r.code != 0) Die("plain ssh", absl::InternalError(r.out));
    plain_ssh_ms.push_back(r.ms);
  }
  const double jit_ssh = Median(jit_ssh_ms), plain_ssh = Median(plain_ssh_ms);

  // 3. request ls with `pending` pending requests (made over gRPC as alice).
  auto alice_token = b.auth().LoginToken("alice");
  if (!alice_token.ok()) Die("alice token", alice_token.status());
  auto rstub = testkit::NewStub<requests::v1::RequestsService>(b.requests().address(),
                                                               testkit::AnonymousCredentials());
  for (int i = 0; i < pending; ++i) {
    requests::v1::CreateRequestRequest req;
    req.add_roles("developer-read-only-jit");
    req.set_reason(absl::StrCat("bench ", i));
    common::v1::AccessRequest out;
    absl::Status s =
        FromGrpcStatus(rstub->CreateRequest(CallContext(*alice_token).get(), req, &out));
    if (!s.ok()) Die("CreateRequest", s);
  }
  std::vector<double> ls_ms;
  size_t rows = 0;
  for (int i = 0; i < ls_runs; ++i) {
    r = b.Jit("bob", {"request", "ls", "--reviewable", "--state", "pending"});
    if (r.code != 0) Die("request ls", absl::InternalError(r.out));
    ls_ms.push_back(r.ms);
    rows = std::count(r.out.begin(), r.out.end(), '\n') - 1;
  }
  const double ls = Median(ls_ms);
  b.Stop();

  std::printf("jit ssh (cached certificates)   median %.1f ms of %d\n", jit_ssh, ssh_runs);
  std::printf("plain ssh (same key and cert)   median %.1f ms of %d\n", plain_ssh, ssh_runs);
  std::printf(
      "jit certs                       median %.1f ms of %d, 5 RPCs (WhoAmI, "
      "ListRequests, SignUserSshCert, GetCaPublicKeys, SignUserX509Cert) over 3 TLS "
      "connections\n",
      certs, certs_runs);
  std::printf("jit request ls, %d pending      median %.1f ms of %d (%zu rows)\n", pending, ls,
              ls_runs, rows);
  std::printf("REF plain_ssh measured=%.2fms\n", plain_ssh);
  std::printf("REF tls_connect_rpc measured=%.2fms\n", connect);
  std::printf("GOAL jit_ssh_added_ms %s\n",
              Goal(std::max(0.0, jit_ssh - plain_ssh), 20, true, "ms").c_str());
  std::printf("GOAL jit_certs_vs_connect_rpc %s\n", Goal(certs / connect, 3, true, "x").c_str());
  std::printf("GOAL request_ls_%d_pending_ms %s\n", pending, Goal(ls, 200, true, "ms").c_str());
  return 0;
}

}  // namespace
}  // namespace jit

int main() { return jit::Main(); }
