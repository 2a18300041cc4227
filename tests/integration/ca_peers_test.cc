// The certificates of a real jit-ca (with a real jit-auth for session tokens, a real
// jit-policy for the roles, and PostgreSQL), judged by the programs users run, each peer
// started once for the suite: ssh-keygen -L prints them as issued; a real sshd trusting
// GetCaPublicKeys' TrustedUserCAKeys accepts a fresh user certificate and refuses an expired
// one, one for another principal and one of another CA; ssh with GetCaPublicKeys'
// @cert-authority line accepts a host certificate from jit-ca with StrictHostKeyChecking=yes;
// openssl verify and a real PostgreSQL (ssl_ca_file = GetCaPublicKeys' bundle, cert auth)
// accept a fresh client certificate and refuse an expired one, another CN and another CA.
// Bad input over the wire is INVALID_ARGUMENT with nothing recorded.
//
// "Expired" certificates are real ones with a 2 s TTL: the test waits (polling, bounded)
// until the peer refuses them; a not-yet-valid certificate cannot come from a CA that signs
// from now, and is covered with common/ssh's encoder in ssh_peer_test.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/ed25519.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/pki/client_cert.h"
#include "common/pki/x509_ca.h"
#include "common/ssh/certificate.h"
#include "common/ssh/private_key.h"
#include "common/ssh/signature.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/ca/v1/ca.grpc.pb.h"
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
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using testkit::AuthServer;
using testkit::CallContext;
using testkit::PostgresTlsServer;
using testkit::PsqlResult;
using testkit::ServiceProcess;
using testkit::SshClientOptions;
using testkit::SshdServer;
using testkit::SshResult;

constexpr char kLogin[] = "alice-root";

constexpr char kOpsRole[] = R"(kind: role
version: v7
metadata:
  name: ops
spec:
  allow:
    logins: ["{{internal.logins}}"]
    db_users: ["{{internal.db_users}}"]
    db_names: ["app"]
  options:
    max_session_ttl: 2h
)";

constexpr char kHostAdminRole[] = R"(kind: role
version: v7
metadata:
  name: host-admin
spec:
  allow:
    rules:
      - resources: ["cert_authority"]
        verbs: ["create"]
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

class CaPeersTest : public ::testing::Test {
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
  static SshdServer& sshd() { return *suite_->sshd; }
  static PostgresTlsServer& pg() { return *suite_->pg; }
  static const std::string& alice() { return suite_->alice_token; }
  static const std::string& hank() { return suite_->hank_token; }

  static absl::StatusOr<pb::SignUserSshCertResponse> SignUser(const std::string& public_line,
                                                              int64_t ttl_seconds = 0) {
    pb::SignUserSshCertRequest request;
    request.set_public_key(public_line);
    if (ttl_seconds > 0) request.mutable_ttl()->set_seconds(ttl_seconds);
    pb::SignUserSshCertResponse response;
    RETURN_IF_ERROR(
        FromGrpcStatus(ca().SignUserSshCert(CallContext(alice()).get(), request, &response)));
    return response;
  }

  static absl::StatusOr<pb::SignUserX509CertResponse> SignDb(EVP_PKEY* key,
                                                             const std::string& db_user,
                                                             int64_t ttl_seconds = 0) {
    pb::SignUserX509CertRequest request;
    request.set_csr_pem(ca::testing::CsrPem(key));
    request.set_target(pb::SignUserX509CertRequest::TARGET_DATABASE);
    request.set_db_user(db_user);
    if (ttl_seconds > 0) request.mutable_ttl()->set_seconds(ttl_seconds);
    pb::SignUserX509CertResponse response;
    RETURN_IF_ERROR(
        FromGrpcStatus(ca().SignUserX509Cert(CallContext(alice()).get(), request, &response)));
    return response;
  }

  // Logs in with `cert`; the result and what sshd logged meanwhile.
  static std::pair<SshResult, size_t> Login(const UserKey& key, const std::string& cert,
                                            std::string known_hosts = "") {
    const size_t mark = sshd().LogSize();
    auto result = sshd().RunSsh(SshClientOptions{
        .private_key = key.file, .certificate = cert, .known_hosts = std::move(known_hosts)});
    EXPECT_TRUE(result.ok()) << result.status();
    return {result.value_or(SshResult{}), mark};
  }
  static bool LoggedSince(size_t mark, const std::string& text) {
    return testkit::Eventually(
        [&] { return sshd().LogSince(mark).find(text) != std::string::npos; }, absl::Seconds(10));
  }

  static PsqlResult Psql(const std::string& user, const std::string& cert_pem, EVP_PKEY* key) {
    auto result = pg().RunPsql(user, cert_pem, SecretString(ca::testing::PrivateKeyPem(key)));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(PsqlResult{});
  }

 private:
  struct Suite {
    absl::Status Start() {
      ASSIGN_OR_RETURN(database, db::testing::TestDatabase::Create());
      ASSIGN_OR_RETURN(
          auth, AuthServer::StartServing(
                    {.db_url = database->conninfo(),
                     .users = {{.name = "alice",
                                .roles = {"ops"},
                                .password = "alice's password, long",
                                .traits = {{"logins", {kLogin}}, {"db_users", {"app_reader"}}}},
                               {.name = "hank",
                                .roles = {"host-admin"},
                                .password = "hank's password, long"}}}));
      ASSIGN_OR_RETURN(std::string roles, testkit::MakeTestDir("ca-roles"));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/ops.yaml", kOpsRole, 0644));
      RETURN_IF_ERROR(testkit::WriteTestFile(roles + "/host-admin.yaml", kHostAdminRole, 0644));
      ASSIGN_OR_RETURN(policy, ServiceProcess::StartServing({.service = "policy",
                                                             .db_url = database->conninfo(),
                                                             .peers = {{"auth", auth->address()}},
                                                             .flags = {"--roles_dir=" + roles}}));
      ASSIGN_OR_RETURN(std::string dir, testkit::MakeTestDir("ca"));
      ASSIGN_OR_RETURN(std::string kek, testkit::WriteKeyEncryptionKeyFile(dir + "/kek"));
      ASSIGN_OR_RETURN(ca, ServiceProcess::StartServing(
                               {.service = "ca",
                                .db_url = database->conninfo(),
                                .peers = {{"auth", auth->address()}, {"policy", policy->address()}},
                                .flags = {"--key_encryption_key_file=" + kek}}));
      stub = testkit::NewStub<pb::CaService>(ca->address(), testkit::AnonymousCredentials());
      ASSIGN_OR_RETURN(alice_token, auth->LoginToken("alice"));
      ASSIGN_OR_RETURN(hank_token, auth->LoginToken("hank"));
      // The ca verifies tokens with auth's published keys: wait until it has them.
      pb::ListIssuedCertsResponse ignored;
      RETURN_IF_ERROR(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
        return FromGrpcStatus(stub->ListIssuedCerts(CallContext(alice_token).get(), {}, &ignored));
      }));

      pb::GetCaPublicKeysResponse trust;
      RETURN_IF_ERROR(FromGrpcStatus(stub->GetCaPublicKeys(CallContext().get(), {}, &trust)));
      ASSIGN_OR_RETURN(sshd, SshdServer::Create());
      pb::SignHostSshCertRequest host;
      host.set_public_key(sshd->host_key().ToLine());
      host.add_principals("127.0.0.1");
      pb::SignHostSshCertResponse host_cert;
      RETURN_IF_ERROR(
          FromGrpcStatus(stub->SignHostSshCert(CallContext(hank_token).get(), host, &host_cert)));
      RETURN_IF_ERROR(sshd->Start({.trusted_user_ca_keys = Lines(trust.trusted_user_ca_keys()),
                                   .authorized_principals = {{"root", {kLogin}}},
                                   .host_certificate = host_cert.certificate()}));
      ASSIGN_OR_RETURN(pg, PostgresTlsServer::Start({.client_ca_pem = trust.x509_ca_bundle_pem(),
                                                     .roles = {"app_reader", "app_writer"}}));
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
      if (ca != nullptr) {
        EXPECT_OK(ca->Stop());
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
    std::unique_ptr<ServiceProcess> ca;
    std::unique_ptr<pb::CaService::Stub> stub;
    std::unique_ptr<SshdServer> sshd;
    std::unique_ptr<PostgresTlsServer> pg;
    std::string alice_token;
    std::string hank_token;
  };
  static inline Suite* suite_ = nullptr;

 protected:
  UserKey key_ = NewUserKey();
};

TEST_F(CaPeersTest, SshKeygenPrintsTheUserCertificateAsIssued) {
  ASSERT_OK_AND_ASSIGN(auto signed_cert, SignUser(key_.public_line));
  ASSERT_OK_AND_ASSIGN(std::string dir, testkit::MakeTestDir("keygen"));
  ASSERT_OK(testkit::WriteTestFile(dir + "/cert.pub", signed_cert.certificate() + "\n"));
  auto [code, out] = jit::testing::RunShell("ssh-keygen -L -f " + dir + "/cert.pub");
  ASSERT_EQ(code, 0) << out;
  const std::string serial = signed_cert.issued().serial();
  EXPECT_THAT(out, HasSubstr("Type: ssh-ed25519-cert-v01@openssh.com user certificate"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("Key ID: \"alice//", serial, "\"")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("Serial: ", serial)));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("Principals: \n                ", kLogin)));
  EXPECT_THAT(out, HasSubstr("permit-pty"));
  EXPECT_THAT(out, HasSubstr("jit-roles@jit-access"));
  EXPECT_THAT(out, HasSubstr("Signing CA: ED25519"));
}

TEST_F(CaPeersTest, SshdAcceptsAFreshUserCertificate) {
  ASSERT_OK_AND_ASSIGN(auto signed_cert, SignUser(key_.public_line));
  auto [result, mark] = Login(key_, signed_cert.certificate());
  EXPECT_EQ(result.exit_code, 0) << result.output << sshd().LogSince(mark);
  EXPECT_THAT(result.output, HasSubstr("jit-ok"));
  const std::string serial = signed_cert.issued().serial();
  EXPECT_TRUE(LoggedSince(mark, absl::StrCat("ID alice//", serial, " (serial ", serial, ")")))
      << sshd().LogSince(mark);
}

TEST_F(CaPeersTest, SshdRefusesTheCertificateOnceItHasExpired) {
  ASSERT_OK_AND_ASSIGN(auto signed_cert, SignUser(key_.public_line, /*ttl_seconds=*/2));
  size_t mark = 0;
  EXPECT_TRUE(testkit::Eventually(
      [&] {
        auto [result, m] = Login(key_, signed_cert.certificate());
        mark = m;
        return result.exit_code == 255 &&
               sshd().LogSince(m).find("Certificate invalid: expired") != std::string::npos;
      },
      absl::Seconds(30)))
      << sshd().LogSince(mark);
}

TEST_F(CaPeersTest, SshdRefusesACertificateForAnotherPrincipal) {
  ASSERT_OK_AND_ASSIGN(auto signed_cert, SignUser(key_.public_line));
  ASSERT_OK(sshd().SetAuthorizedPrincipals("root", {"bob-root"}));
  auto [result, mark] = Login(key_, signed_cert.certificate());
  ASSERT_OK(sshd().SetAuthorizedPrincipals("root", {kLogin}));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_TRUE(LoggedSince(mark, "Certificate does not contain an authorized principal"))
      << sshd().LogSince(mark);
}

TEST_F(CaPeersTest, SshdRefusesACertificateOfAnotherCa) {
  auto other = *ssh::CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(
      *crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEd25519))));
  ASSERT_OK_AND_ASSIGN(auto ours, SignUser(key_.public_line));
  ASSERT_OK_AND_ASSIGN(auto parsed, ssh::SshCertificate::FromLine(ours.certificate()));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  ssh::SshCertificateSpec spec{.key = parsed.key(),
                               .serial = 77,
                               .key_id = "forged",
                               .principals = {kLogin},
                               .valid_after = static_cast<uint64_t>(now - 60),
                               .valid_before = static_cast<uint64_t>(now + 3600)};
  ASSERT_OK_AND_ASSIGN(std::string wire, ssh::SignSshCertificate(spec, *other));
  auto [result, mark] = Login(key_, *ssh::SshCertificateLine(wire));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_TRUE(
      LoggedSince(mark, absl::StrCat(other->public_key().Fingerprint(), " is not listed in")))
      << sshd().LogSince(mark);
}

TEST_F(CaPeersTest, SshAcceptsTheHostCertificateThroughTheCertAuthorityLine) {
  pb::GetCaPublicKeysRequest request;
  request.set_known_hosts_pattern(absl::StrCat("[127.0.0.1]:", sshd().port()));
  pb::GetCaPublicKeysResponse trust;
  ASSERT_OK(FromGrpcStatus(ca().GetCaPublicKeys(CallContext().get(), request, &trust)));
  ASSERT_OK_AND_ASSIGN(auto signed_cert, SignUser(key_.public_line));
  auto [result, mark] = Login(key_, signed_cert.certificate(), trust.known_hosts());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("jit-ok"));
  // The same line for another port does not vouch for this server.
  request.set_known_hosts_pattern("[127.0.0.1]:1");
  ASSERT_OK(FromGrpcStatus(ca().GetCaPublicKeys(CallContext().get(), request, &trust)));
  auto [refused, mark2] = Login(key_, signed_cert.certificate(), trust.known_hosts());
  EXPECT_EQ(refused.exit_code, 255) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("Host key verification failed"));
}

TEST_F(CaPeersTest, OpensslVerifiesTheClientCertificateAgainstTheBundle) {
  auto key = ca::testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto issued, SignDb(key.get(), "app_reader"));
  pb::GetCaPublicKeysResponse trust;
  ASSERT_OK(FromGrpcStatus(ca().GetCaPublicKeys(CallContext().get(), {}, &trust)));
  ASSERT_OK_AND_ASSIGN(std::string dir, testkit::MakeTestDir("openssl"));
  ASSERT_OK(testkit::WriteTestFile(dir + "/ca.pem", trust.x509_ca_bundle_pem()));
  ASSERT_OK(testkit::WriteTestFile(dir + "/cert.pem", issued.certificate_pem()));
  auto [code, out] = jit::testing::RunShell("openssl verify -purpose sslclient -CAfile " + dir +
                                            "/ca.pem " + dir + "/cert.pem 2>&1");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr(": OK"));
  auto [code2, text] = jit::testing::RunShell("openssl x509 -noout -text -in " + dir + "/cert.pem");
  EXPECT_THAT(text, HasSubstr("Subject: CN = app_reader"));
  EXPECT_THAT(text, HasSubstr("TLS Web Client Authentication"));
}

TEST_F(CaPeersTest, PostgresAcceptsAFreshClientCertificateAsItsDbUser) {
  auto key = ca::testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto issued, SignDb(key.get(), "app_reader"));
  const PsqlResult r = Psql("app_reader", issued.certificate_pem(), key.get());
  EXPECT_EQ(r.exit_code, 0) << r.output << pg().Log();
  EXPECT_EQ(r.output, "app_reader\n");
}

TEST_F(CaPeersTest, PostgresRefusesTheCertificateForAnotherRole) {
  auto key = ca::testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto issued, SignDb(key.get(), "app_reader"));
  const PsqlResult r = Psql("app_writer", issued.certificate_pem(), key.get());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate authentication failed for user \"app_writer\""));
  // And the CA does not sign the other db user for alice.
  EXPECT_THAT(SignDb(key.get(), "app_writer"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("\"app_writer\"")));
}

TEST_F(CaPeersTest, PostgresRefusesTheCertificateOnceItHasExpired) {
  auto key = ca::testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto issued, SignDb(key.get(), "app_reader", /*ttl_seconds=*/2));
  PsqlResult r;
  EXPECT_TRUE(testkit::Eventually(
      [&] {
        r = Psql("app_reader", issued.certificate_pem(), key.get());
        return r.exit_code != 0 && r.output.find("certificate expired") != std::string::npos;
      },
      absl::Seconds(30)))
      << r.output;
}

TEST_F(CaPeersTest, PostgresRefusesACertificateOfAnotherCa) {
  auto key = ca::testing::NewClientKey("P-256");
  auto signer =
      *crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEcdsaP256));
  auto other = *pki::CreateCertificateAuthorityForKey(signer->key(), {}, absl::Now());
  auto issued = *pki::IssueClientCertificate(other, {.public_key = key.get(),
                                                     .common_name = "app_reader",
                                                     .not_before = absl::Now() - absl::Minutes(1),
                                                     .not_after = absl::Now() + absl::Hours(1),
                                                     .roles = {"ops"},
                                                     .grant_ids = {}});
  const PsqlResult r = Psql("app_reader", issued.pem, key.get());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("unknown ca"));
}

TEST_F(CaPeersTest, BadInputIsInvalidArgumentAndRecordsNothing) {
  pb::ListIssuedCertsResponse before;
  ASSERT_OK(FromGrpcStatus(ca().ListIssuedCerts(CallContext(alice()).get(), {}, &before)));
  EXPECT_THAT(SignUser(key_.public_line.substr(0, key_.public_line.size() / 2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto weak = ca::testing::NewClientKey("RSA-1024");
  EXPECT_THAT(SignUser(ca::testing::SshPublicKeyLine(weak.get())),
              StatusIs(absl::StatusCode::kInvalidArgument));
  pb::SignUserX509CertRequest csr;
  csr.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
  csr.set_target(pb::SignUserX509CertRequest::TARGET_DATABASE);
  csr.set_db_user("app_reader");
  pb::SignUserX509CertResponse ignored;
  EXPECT_THAT(FromGrpcStatus(ca().SignUserX509Cert(CallContext(alice()).get(), csr, &ignored)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  pb::ListIssuedCertsResponse after;
  ASSERT_OK(FromGrpcStatus(ca().ListIssuedCerts(CallContext(alice()).get(), {}, &after)));
  EXPECT_EQ(after.certs_size(), before.certs_size());
  // No token, no certificate.
  pb::SignUserSshCertRequest request;
  request.set_public_key(key_.public_line);
  pb::SignUserSshCertResponse response;
  EXPECT_EQ(ca().SignUserSshCert(CallContext().get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace jit
