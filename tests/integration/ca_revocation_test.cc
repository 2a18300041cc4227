// Revocation by a real jit-ca (with real jit-auth, jit-policy and jit-requests, one
// PostgreSQL), judged by the peers that enforce it, each started once for the suite:
// - a real sshd with `RevokedKeys <KRL from GetRevocationList>` refuses a certificate revoked
//   with RevokeCerts ("revoked by file" in its log) and accepts another of the same CA;
// - a real PostgreSQL with `ssl_crl_file <CRL from GetRevocationList>` (reloaded after the
//   file is written) refuses a revoked client certificate and accepts another;
// - `ssh-keygen -Q -f <KRL>` agrees with the CA's own record (ListIssuedCerts' revoke_time)
//   for every one of a few thousand certificates, about a third of them revoked;
// - a grant revoked in jit-requests (RevokeGrant, nobody calls the CA) gets its certificate
//   revoked by the CA's follower: the next KRL makes sshd refuse it;
// - revocation lists are not for strangers, and bad input changes nothing.
// Waits are bounded polls (the follower runs every second here), never sleeps.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/ed25519.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/ssh/certificate.h"
#include "common/ssh/krl.h"
#include "common/ssh/private_key.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "services/ca/testing/client_keys.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/postgres_tls_server.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/sshd_server.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

namespace pb = ::jit::ca::v1;
namespace rpb = ::jit::requests::v1;
using ::jit::common::v1::AccessRequest;
using ::jit::common::v1::AccessReview;
using ::jit::common::v1::Grant;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using testkit::AuthServer;
using testkit::CallContext;
using testkit::PostgresTlsServer;
using testkit::PsqlResult;
using testkit::ServiceProcess;
using testkit::SshClientOptions;
using testkit::SshdServer;
using testkit::SshResult;

constexpr char kLogin[] = "alice-root";
constexpr int kManyCerts = 2000;

constexpr char kOpsRole[] = R"(kind: role
version: v7
metadata:
  name: ops
spec:
  allow:
    logins: ["{{internal.logins}}"]
    db_users: ["{{internal.db_users}}"]
    db_names: ["app"]
    request:
      roles: ["prod-read"]
      max_duration: 1h
      thresholds:
        - name: approval
          approve: 1
          deny: 1
          filter: 'contains(reviewer.roles, "approver")'
  options:
    max_session_ttl: 2h
)";

constexpr char kProdReadRole[] = R"(kind: role
version: v7
metadata:
  name: prod-read
spec:
  allow:
    logins: ["devops"]
  options:
    max_session_ttl: 1h
)";

constexpr char kApproverRole[] = R"(kind: role
version: v7
metadata:
  name: approver
spec:
  allow:
    review_requests:
      roles: ["prod-read"]
    rules:
      - resources: [access_request]
        verbs: [list, read, review]
)";

constexpr char kRevokerRole[] = R"(kind: role
version: v7
metadata:
  name: revoker
spec:
  allow:
    rules:
      - resources: [cert_authority]
        verbs: [create, list, revoke]
)";

struct UserKey {
  SecretString file;
  std::string public_line;
};

UserKey NewUserKey() {
  SecretString seed = *crypto::GenerateEd25519Seed();
  return {*ssh::EncodeOpenSshEd25519PrivateKey(seed, "test user"),
          ssh::SshPublicKey::FromEd25519(*crypto::Ed25519PublicKeyFromSeed(seed))->ToLine()};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

class CaRevocationTest : public ::testing::Test {
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

  static pb::CaService::Stub& ca() { return *suite_->stub; }
  static rpb::RequestsService::Stub& requests() { return *suite_->requests_stub; }
  static SshdServer& sshd() { return *suite_->sshd; }
  static PostgresTlsServer& pg() { return *suite_->pg; }
  static const std::string& alice() { return suite_->alice_token; }
  static const std::string& bob() { return suite_->bob_token; }
  static const std::string& admin() { return suite_->admin_token; }

  static absl::StatusOr<pb::SignUserSshCertResponse> SignUser(
      const std::string& public_line, const std::vector<std::string>& grants = {}) {
    pb::SignUserSshCertRequest request;
    request.set_public_key(public_line);
    for (const auto& g : grants) request.add_grant_ids(g);
    pb::SignUserSshCertResponse response;
    RETURN_IF_ERROR(
        FromGrpcStatus(ca().SignUserSshCert(CallContext(alice()).get(), request, &response)));
    return response;
  }
  static absl::StatusOr<pb::SignUserX509CertResponse> SignDb(EVP_PKEY* key) {
    pb::SignUserX509CertRequest request;
    request.set_csr_pem(ca::testing::CsrPem(key));
    request.set_target(pb::SignUserX509CertRequest::TARGET_DATABASE);
    request.set_db_user("app_reader");
    pb::SignUserX509CertResponse response;
    RETURN_IF_ERROR(
        FromGrpcStatus(ca().SignUserX509Cert(CallContext(alice()).get(), request, &response)));
    return response;
  }
  static absl::StatusOr<pb::RevokeCertsResponse> Revoke(const std::vector<std::string>& serials,
                                                        pb::CaType type,
                                                        const std::string& token = admin()) {
    pb::RevokeCertsRequest request;
    for (const auto& s : serials) request.add_serials(s);
    request.set_type(type);
    request.set_reason("laptop stolen");
    pb::RevokeCertsResponse response;
    RETURN_IF_ERROR(FromGrpcStatus(ca().RevokeCerts(CallContext(token).get(), request, &response)));
    return response;
  }
  static absl::StatusOr<pb::GetRevocationListResponse> List(pb::CaType type,
                                                            const std::string& token = alice()) {
    pb::GetRevocationListRequest request;
    request.set_type(type);
    pb::GetRevocationListResponse response;
    RETURN_IF_ERROR(
        FromGrpcStatus(ca().GetRevocationList(CallContext(token).get(), request, &response)));
    return response;
  }
  // What a host's sync does: the current KRL into sshd's RevokedKeys file.
  static absl::Status SyncKrl() {
    ASSIGN_OR_RETURN(pb::GetRevocationListResponse krl, List(pb::CA_TYPE_SSH_USER));
    return sshd().SetRevokedKeys(krl.revocation_list());
  }

  static std::pair<SshResult, size_t> Login(const UserKey& key, const std::string& cert) {
    const size_t mark = sshd().LogSize();
    auto result = sshd().RunSsh(SshClientOptions{.private_key = key.file, .certificate = cert});
    EXPECT_TRUE(result.ok()) << result.status();
    return {result.value_or(SshResult{}), mark};
  }
  static bool LoggedSince(size_t mark, const std::string& text) {
    return testkit::Eventually(
        [&] { return sshd().LogSince(mark).find(text) != std::string::npos; }, absl::Seconds(10));
  }
  static PsqlResult Psql(const std::string& cert_pem, EVP_PKEY* key) {
    auto result =
        pg().RunPsql("app_reader", cert_pem, SecretString(ca::testing::PrivateKeyPem(key)));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(PsqlResult{});
  }

 private:
  struct Suite {
    absl::Status Start() {
      ASSIGN_OR_RETURN(database, db::testing::TestDatabase::Create());
      ASSIGN_OR_RETURN(
          auth,
          AuthServer::StartServing(
              {.db_url = database->conninfo(),
               .users = {{.name = "alice",
                          .roles = {"ops"},
                          .password = "alice's password, long",
                          .traits = {{"logins", {kLogin}}, {"db_users", {"app_reader"}}}},
                         {.name = "bob", .roles = {"approver"}, .password = "bob's password, long"},
                         {.name = "root-admin",
                          .roles = {"revoker"},
                          .password = "the admin's password, long"}}}));
      ASSIGN_OR_RETURN(std::string roles, testkit::MakeTestDir("revocation-roles"));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/ops.yaml", kOpsRole, 0644));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/prod-read.yaml", kProdReadRole, 0644));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/approver.yaml", kApproverRole, 0644));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/revoker.yaml", kRevokerRole, 0644));
      ASSIGN_OR_RETURN(policy, ServiceProcess::StartServing({.service = "policy",
                                                             .db_url = database->conninfo(),
                                                             .peers = {{"auth", auth->address()}},
                                                             .flags = {"--roles_dir=" + roles}}));
      ASSIGN_OR_RETURN(requests_service,
                       ServiceProcess::StartServing(
                           {.service = "requests",
                            .db_url = database->conninfo(),
                            .peers = {{"auth", auth->address()}, {"policy", policy->address()}}}));
      ASSIGN_OR_RETURN(std::string dir, testkit::MakeTestDir("revocation-ca"));
      ASSIGN_OR_RETURN(std::string kek, testkit::WriteKeyEncryptionKeyFile(dir + "/kek"));
      ASSIGN_OR_RETURN(
          ca, ServiceProcess::StartServing({.service = "ca",
                                            .db_url = database->conninfo(),
                                            .peers = {{"auth", auth->address()},
                                                      {"policy", policy->address()},
                                                      {"requests", requests_service->address()}},
                                            .flags = {"--key_encryption_key_file=" + kek,
                                                      "--revoked_grants_poll_interval=1s"}}));
      stub = testkit::NewStub<pb::CaService>(ca->address(), testkit::AnonymousCredentials());
      requests_stub = testkit::NewStub<rpb::RequestsService>(requests_service->address(),
                                                             testkit::AnonymousCredentials());
      ASSIGN_OR_RETURN(alice_token, auth->LoginToken("alice"));
      ASSIGN_OR_RETURN(bob_token, auth->LoginToken("bob"));
      ASSIGN_OR_RETURN(admin_token, auth->LoginToken("root-admin"));
      // The services verify tokens with auth's published keys: wait until they have them.
      pb::ListIssuedCertsResponse ignored;
      RETURN_IF_ERROR(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
        return FromGrpcStatus(stub->ListIssuedCerts(CallContext(alice_token).get(), {}, &ignored));
      }));
      rpb::ListRequestsResponse listed;
      RETURN_IF_ERROR(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
        return FromGrpcStatus(
            requests_stub->ListRequests(CallContext(alice_token).get(), {}, &listed));
      }));

      pb::GetCaPublicKeysResponse trust;
      RETURN_IF_ERROR(FromGrpcStatus(stub->GetCaPublicKeys(CallContext().get(), {}, &trust)));
      pb::GetRevocationListRequest krl_request;
      krl_request.set_type(pb::CA_TYPE_SSH_USER);
      pb::GetRevocationListResponse krl;
      RETURN_IF_ERROR(FromGrpcStatus(
          stub->GetRevocationList(CallContext(alice_token).get(), krl_request, &krl)));
      ASSIGN_OR_RETURN(sshd, SshdServer::Create());
      RETURN_IF_ERROR(sshd->Start({.trusted_user_ca_keys = Lines(trust.trusted_user_ca_keys()),
                                   .authorized_principals = {{"root", {kLogin}}},
                                   .revoked_keys = krl.revocation_list()}));
      pb::GetRevocationListRequest crl_request;
      crl_request.set_type(pb::CA_TYPE_X509_USER);
      pb::GetRevocationListResponse crl;
      RETURN_IF_ERROR(FromGrpcStatus(
          stub->GetRevocationList(CallContext(alice_token).get(), crl_request, &crl)));
      ASSIGN_OR_RETURN(pg, PostgresTlsServer::Start({.client_ca_pem = trust.x509_ca_bundle_pem(),
                                                     .crl_pem = crl.crl_pem(),
                                                     .roles = {"app_reader"}}));
      return absl::OkStatus();
    }

    void Stop() {
      if (pg != nullptr) {
        EXPECT_OK(pg->Stop());
      }
      if (sshd != nullptr) {
        EXPECT_OK(sshd->Stop());
      }
      stub.reset();
      requests_stub.reset();
      if (ca != nullptr) {
        EXPECT_OK(ca->Stop());
      }
      if (requests_service != nullptr) {
        EXPECT_OK(requests_service->Stop());
      }
      if (policy != nullptr) {
        EXPECT_OK(policy->Stop());
      }
      if (auth != nullptr) {
        EXPECT_OK(auth->Stop());
      }
    }

    absl::Status status;
    std::unique_ptr<db::testing::TestDatabase> database;  // outlives the services
    std::unique_ptr<AuthServer> auth;
    std::unique_ptr<ServiceProcess> policy;
    std::unique_ptr<ServiceProcess> requests_service;
    std::unique_ptr<ServiceProcess> ca;
    std::unique_ptr<pb::CaService::Stub> stub;
    std::unique_ptr<rpb::RequestsService::Stub> requests_stub;
    std::unique_ptr<SshdServer> sshd;
    std::unique_ptr<PostgresTlsServer> pg;
    std::string alice_token;
    std::string bob_token;
    std::string admin_token;
  };
  static inline Suite* suite_ = nullptr;

 protected:
  UserKey key_ = NewUserKey();
};

TEST_F(CaRevocationTest, SshdRefusesARevokedCertificateAndAcceptsAnotherOfTheSameCa) {
  ASSERT_OK_AND_ASSIGN(auto revoked, SignUser(key_.public_line));
  ASSERT_OK_AND_ASSIGN(auto kept, SignUser(key_.public_line));
  ASSERT_OK_AND_ASSIGN(auto response, Revoke({revoked.issued().serial()}, pb::CA_TYPE_SSH_USER));
  EXPECT_EQ(response.newly_revoked(), 1);
  ASSERT_OK(SyncKrl());
  auto [refused, mark] = Login(key_, revoked.certificate());
  EXPECT_EQ(refused.exit_code, 255) << refused.output;
  EXPECT_TRUE(LoggedSince(mark, "revoked by file")) << sshd().LogSince(mark);
  auto [accepted, mark2] = Login(key_, kept.certificate());
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output << sshd().LogSince(mark2);
  EXPECT_THAT(accepted.output, HasSubstr("jit-ok"));
}

TEST_F(CaRevocationTest, PostgresRefusesARevokedClientCertificateAndAcceptsAnother) {
  auto revoked_key = ca::testing::NewClientKey("P-256");
  auto kept_key = ca::testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto revoked, SignDb(revoked_key.get()));
  ASSERT_OK_AND_ASSIGN(auto kept, SignDb(kept_key.get()));
  EXPECT_EQ(Psql(revoked.certificate_pem(), revoked_key.get()).exit_code, 0) << pg().Log();
  ASSERT_OK(Revoke({revoked.issued().serial()}, pb::CA_TYPE_X509_USER).status());
  ASSERT_OK_AND_ASSIGN(auto crl, List(pb::CA_TYPE_X509_USER));
  ASSERT_OK(pg().SetCrl(crl.crl_pem()));
  const PsqlResult refused = Psql(revoked.certificate_pem(), revoked_key.get());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, HasSubstr("certificate revoked"));
  const PsqlResult accepted = Psql(kept.certificate_pem(), kept_key.get());
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output << pg().Log();
  EXPECT_EQ(accepted.output, "app_reader\n");
}

TEST_F(CaRevocationTest, SshKeygenAgreesWithTheCaRecordForEveryOfAFewThousandSerials) {
  // kManyCerts certificates, signed by four callers at once.
  std::vector<pb::SignUserSshCertResponse> certs;
  absl::Mutex mu;
  absl::Status failed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kManyCerts / 4; ++i) {
        absl::StatusOr<pb::SignUserSshCertResponse> r = SignUser(key_.public_line);
        absl::MutexLock lock(&mu);
        if (!r.ok()) {
          failed = r.status();
          return;
        }
        certs.push_back(*std::move(r));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK(failed);
  ASSERT_EQ(certs.size(), static_cast<size_t>(kManyCerts));
  // About a third revoked, in calls of at most 1000.
  std::mt19937_64 random(11);
  std::vector<std::string> to_revoke;
  for (const auto& c : certs) {
    if (random() % 3 == 0) to_revoke.push_back(c.issued().serial());
  }
  for (size_t i = 0; i < to_revoke.size(); i += 1000) {
    std::vector<std::string> batch(to_revoke.begin() + i,
                                   to_revoke.begin() + std::min(to_revoke.size(), i + 1000));
    ASSERT_OK(Revoke(batch, pb::CA_TYPE_SSH_USER).status());
  }
  // The CA's own record: every certificate of alice with its revocation.
  std::map<std::string, bool> recorded;  // serial -> revoked
  pb::ListIssuedCertsRequest list;
  list.set_user("alice");
  list.set_kind(jit::common::v1::CERTIFICATE_KIND_SSH_USER);
  list.set_page_size(1000);
  for (;;) {
    pb::ListIssuedCertsResponse page;
    ASSERT_OK(FromGrpcStatus(ca().ListIssuedCerts(CallContext(admin()).get(), list, &page)));
    for (const auto& c : page.certs()) recorded[c.serial()] = c.has_revoke_time();
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  ASSERT_OK_AND_ASSIGN(auto krl, List(pb::CA_TYPE_SSH_USER));
  ASSERT_OK_AND_ASSIGN(std::string dir, testkit::MakeTestDir("keygen-q"));
  ASSERT_OK(testkit::WriteTestFile(dir + "/krl", krl.revocation_list()));
  for (size_t i = 0; i < certs.size(); ++i) {
    ASSERT_OK(testkit::WriteTestFile(absl::StrCat(dir, "/", certs[i].issued().serial(), ".pub"),
                                     certs[i].certificate() + "\n"));
  }
  // One ssh-keygen for all: "<serial>.pub (<key id>): REVOKED" or ": ok" per file.
  auto [code, out] = jit::testing::RunShell("cd " + dir + " && ssh-keygen -Q -f krl *.pub 2>&1");
  ASSERT_EQ(code, 1) << out.substr(0, 2000);  // 1: some are revoked
  std::map<std::string, bool> keygen;         // serial -> revoked
  for (const std::string& line : Lines(out)) {
    const size_t dot = line.find(".pub");
    if (dot == std::string::npos || dot + 4 >= line.size() ||
        (line[dot + 4] != ' ' && line[dot + 4] != ':')) {
      continue;
    }
    keygen[line.substr(0, dot)] = absl::EndsWith(line, ": REVOKED");
  }
  ASSERT_EQ(keygen.size(), certs.size()) << out.substr(0, 2000);
  int revoked = 0;
  for (const auto& c : certs) {
    const std::string& serial = c.issued().serial();
    ASSERT_TRUE(recorded.contains(serial)) << serial;
    EXPECT_EQ(keygen[serial], recorded[serial]) << "serial " << serial;
    revoked += keygen[serial] ? 1 : 0;
  }
  EXPECT_EQ(revoked, static_cast<int>(to_revoke.size()));
}

TEST_F(CaRevocationTest, ARevokedGrantRevokesItsCertificateWithoutCallingTheCa) {
  rpb::CreateRequestRequest create;
  create.add_roles("prod-read");
  create.set_reason("INC-7");
  AccessRequest request;
  ASSERT_OK(FromGrpcStatus(requests().CreateRequest(CallContext(alice()).get(), create, &request)));
  rpb::ReviewRequestRequest review;
  review.set_id(request.id());
  review.set_verdict(AccessReview::VERDICT_APPROVE);
  review.set_reason("ok");
  ASSERT_OK(FromGrpcStatus(requests().ReviewRequest(CallContext(bob()).get(), review, &request)));
  ASSERT_OK_AND_ASSIGN(auto granted, SignUser(key_.public_line, {request.id()}));
  ASSERT_OK_AND_ASSIGN(auto other, SignUser(key_.public_line));
  ASSERT_OK(SyncKrl());
  auto [before, mark0] = Login(key_, granted.certificate());
  EXPECT_EQ(before.exit_code, 0) << before.output << sshd().LogSince(mark0);

  rpb::RevokeGrantRequest revoke;
  revoke.set_id(request.id());
  revoke.set_reason("done early");
  Grant grant;
  ASSERT_OK(FromGrpcStatus(requests().RevokeGrant(CallContext(bob()).get(), revoke, &grant)));
  // As jit-host sync would: fetch the KRL until the follower has revoked the certificate.
  size_t mark = 0;
  EXPECT_TRUE(testkit::Eventually(
      [&] {
        if (!SyncKrl().ok()) return false;
        auto [result, m] = Login(key_, granted.certificate());
        mark = m;
        return result.exit_code == 255 &&
               sshd().LogSince(m).find("revoked by file") != std::string::npos;
      },
      absl::Seconds(30)))
      << sshd().LogSince(mark);
  auto [still, mark2] = Login(key_, other.certificate());
  EXPECT_EQ(still.exit_code, 0) << still.output << sshd().LogSince(mark2);
  pb::ListIssuedCertsRequest list;
  list.set_grant_id(request.id());
  pb::ListIssuedCertsResponse listed;
  ASSERT_OK(FromGrpcStatus(ca().ListIssuedCerts(CallContext(admin()).get(), list, &listed)));
  ASSERT_EQ(listed.certs_size(), 1);
  EXPECT_TRUE(listed.certs(0).has_revoke_time());
  EXPECT_THAT(listed.certs(0).revoke_reason(), HasSubstr("done early"));
}

TEST_F(CaRevocationTest, ListsAreNotForStrangersAndBadInputChangesNothing) {
  pb::GetRevocationListRequest request;
  request.set_type(pb::CA_TYPE_SSH_USER);
  pb::GetRevocationListResponse response;
  EXPECT_EQ(ca().GetRevocationList(CallContext().get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(List(pb::CA_TYPE_UNSPECIFIED), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto cert, SignUser(key_.public_line));
  // Alice may not revoke; an unknown serial is named and nothing changes.
  EXPECT_THAT(Revoke({cert.issued().serial()}, pb::CA_TYPE_SSH_USER, alice()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Revoke({cert.issued().serial(), "12345"}, pb::CA_TYPE_SSH_USER),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("12345")));
  ASSERT_OK_AND_ASSIGN(auto krl, List(pb::CA_TYPE_SSH_USER));
  ASSERT_OK_AND_ASSIGN(ssh::Krl parsed, ssh::Krl::Parse(krl.revocation_list()));
  ASSERT_OK_AND_ASSIGN(auto parsed_cert, ssh::SshCertificate::FromLine(cert.certificate()));
  EXPECT_FALSE(parsed.IsRevoked(parsed_cert));
}

}  // namespace
}  // namespace jit
