#include "tools/jit/access.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/ca_signer.h"
#include "common/proto_time.h"
#include "common/ssh/certificate.h"
#include "common/ssh/signature.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/client/testing/fake_user_auth_client.h"
#include "services/ca/client/testing/fake_user_ca_client.h"
#include "services/requests/client/testing/fake_user_requests_client.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kGrant[] = "0190a1b2-0000-7000-8000-000000000001";
constexpr char kFuture[] = "0190a1b2-0000-7000-8000-000000000002";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

class AccessTest : public ::testing::Test {
 protected:
  AccessTest() {
    std::string tmpl = absl::StrCat(std::getenv("TEST_TMPDIR"), "/XXXXXX");
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    jit_dir_ = tmpl + "/.jit";
    auto pem = crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEd25519);
    auto ca = crypto::CaSigner::Create(*pem);
    signer_ = *ssh::CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(*std::move(ca)));

    auth::v1::WhoAmIResponse me;
    me.mutable_identity()->set_name("alice");
    auth_.whoami.Answer(me);
    requests::v1::ListRequestsResponse list;
    common::v1::AccessRequest active;
    active.set_id(kGrant);
    active.set_user("alice");
    active.set_state(common::v1::ACCESS_REQUEST_STATE_APPROVED);
    *active.mutable_access_start_time() = ToProtoTimestamp(kNow - absl::Minutes(1));
    *active.mutable_access_expire_time() = ToProtoTimestamp(kNow + absl::Minutes(29));
    *list.add_requests() = active;
    common::v1::AccessRequest future = active;
    future.set_id(kFuture);
    *future.mutable_access_start_time() = ToProtoTimestamp(kNow + absl::Hours(1));
    *list.add_requests() = future;
    requests_.list.Answer(list);

    // The CA signs what it is sent, for `valid_for`, with logins alice and devops.
    ca_.sign_ssh.Handle([this](const ca::v1::SignUserSshCertRequest& r)
                            -> absl::StatusOr<ca::v1::SignUserSshCertResponse> {
      absl::StatusOr<ssh::SshPublicKey> key = ssh::SshPublicKey::FromLine(r.public_key());
      if (!key.ok()) return key.status();
      ssh::SshCertificateSpec spec{
          .key = *key,
          .type = ssh::SshCertType::kUser,
          .serial = 7,
          .key_id = "alice",
          .principals = {"alice", "devops"},
          .valid_after = ssh::ToCertTime(kNow - absl::Minutes(1)),
          .valid_before = ssh::ToCertTime(kNow + valid_for_),
          .extensions = {ssh::StringOption("jit-roles@jit-access", "dev,developer-read-only-jit")}};
      absl::StatusOr<std::string> wire = ssh::SignSshCertificate(spec, *signer_);
      if (!wire.ok()) return wire.status();
      ca::v1::SignUserSshCertResponse out;
      out.set_certificate(*ssh::SshCertificateLine(*wire));
      out.mutable_issued()->set_user("alice");
      out.mutable_issued()->add_principals("alice");
      out.mutable_issued()->add_principals("devops");
      *out.mutable_issued()->mutable_valid_before() = ToProtoTimestamp(kNow + valid_for_);
      return out;
    });
    ca::v1::GetCaPublicKeysResponse keys;
    keys.set_known_hosts("@cert-authority * ssh-ed25519 AAAAhostca\n");
    keys.set_x509_ca_bundle_pem("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    ca_.keys.Answer(keys);
    ca_.sign_x509.Answer(absl::PermissionDeniedError("the roles allow no Kubernetes group"));
  }

  Output Text() { return Output{&out_, Format::kText, kNow}; }

  std::string jit_dir_;
  std::ostringstream out_;
  absl::Duration valid_for_ = absl::Minutes(29);
  std::unique_ptr<ssh::CaSshSigner> signer_;
  auth::testing::FakeUserAuthClient auth_;
  requests::testing::FakeUserRequestsClient requests_;
  ca::testing::FakeUserCaClient ca_;
};

TEST_F(AccessTest, CertsMakesKeysHereAndAsksForTheActiveGrantsOnly) {
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  const AccessFiles f(jit_dir_);
  // Only the public half went to the CA; the private key is here, 0600 in a 0700 directory.
  ASSERT_EQ(ca_.sign_ssh.requests().size(), 1u);
  const ca::v1::SignUserSshCertRequest sent = ca_.sign_ssh.requests()[0];
  EXPECT_THAT(sent.public_key(), ::testing::StartsWith("ssh-ed25519 "));
  EXPECT_THAT(sent.grant_ids(), ElementsAre(kGrant));
  EXPECT_THAT(Slurp(f.ssh_key), HasSubstr("BEGIN OPENSSH PRIVATE KEY"));
  EXPECT_EQ(Mode(f.ssh_key), 0600);
  EXPECT_EQ(Mode(f.tls_key), 0600);
  EXPECT_EQ(Mode(jit_dir_), 0700);
  EXPECT_EQ(Mode(f.ssh_dir), 0700);
  EXPECT_EQ(Slurp(f.known_hosts), "@cert-authority * ssh-ed25519 AAAAhostca\n");
  EXPECT_THAT(Slurp(f.ssh_cert), ::testing::StartsWith("ssh-ed25519-cert-v01@openssh.com "));
  // No Kubernetes group: no kube certificate, not an error.
  EXPECT_EQ(Mode(f.kube_cert), -1);
  EXPECT_THAT(out_.str(), HasSubstr("logins alice, devops"));
  EXPECT_THAT(out_.str(), HasSubstr("in 29m"));
  EXPECT_THAT(out_.str(), HasSubstr("grants: 0190a1b2\n"));
  // The X.509 request carried a public key, never the private one.
  ASSERT_EQ(ca_.sign_x509.requests().size(), 1u);
  EXPECT_THAT(ca_.sign_x509.requests()[0].public_key_pem(), HasSubstr("BEGIN PUBLIC KEY"));

  // A second run makes a new key.
  const std::string first_key = Slurp(f.ssh_key);
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  EXPECT_NE(Slurp(f.ssh_key), first_key);
}

TEST_F(AccessTest, CertsRefusesARequestThatIsNotAnActiveGrant) {
  EXPECT_THAT(Certs(auth_, requests_, ca_, jit_dir_, {kFuture}, Text()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not one of your active")));
  EXPECT_THAT(ca_.sign_ssh.requests(), IsEmpty());
}

TEST_F(AccessTest, SshUsesTheCertificateAndTheHostCaWithoutAnyCall) {
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  const size_t calls = ca_.sign_ssh.requests().size();
  const AccessFiles f(jit_dir_);
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> argv,
      SshCommand(jit_dir_, {.destination = "devops@127.0.0.1", .port = 2222, .command = {"id"}},
                 kNow));
  const std::string line = absl::StrJoin(argv, " ");
  EXPECT_THAT(line, HasSubstr("-i " + f.ssh_key));
  EXPECT_THAT(line, HasSubstr("CertificateFile=" + f.ssh_cert));
  EXPECT_THAT(line, HasSubstr("UserKnownHostsFile=" + f.known_hosts));
  EXPECT_THAT(line, HasSubstr("StrictHostKeyChecking=yes"));
  EXPECT_THAT(line, HasSubstr("-p 2222 -l devops -- 127.0.0.1 id"));
  EXPECT_EQ(ca_.sign_ssh.requests().size(), calls);
}

TEST_F(AccessTest, SshSaysWhatToDoWithoutAUsableCertificate) {
  EXPECT_THAT(SshCommand(jit_dir_, {.destination = "devops@h"}, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("run `jit certs`")));
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  EXPECT_THAT(SshCommand(jit_dir_, {.destination = "root@h"}, kNow),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("does not allow login \"root\" (it allows: alice, devops); ask "
                                 "for a role that allows it: jit request create")));
  EXPECT_THAT(SshCommand(jit_dir_, {.destination = "devops@h"}, kNow + absl::Minutes(30)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("(roles dev,developer-read-only-jit) expired 1m ago")));
}

TEST_F(AccessTest, DbRefusesAUserTheRolesDoNotAllowBeforeConnecting) {
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  ca_.sign_x509.Answer(absl::PermissionDeniedError(
      "db user \"postgres\" is not allowed (allowed: \"readonly_user\")"));
  DbInput in{.name = "web_app_db",
             .db_user = "postgres",
             .addr = "127.0.0.1:5432",
             .server_ca_file = "/ca.pem"};
  EXPECT_THAT(DbCommand(ca_, jit_dir_, in, kNow, nullptr),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("jit did not connect to web_app_db: db user \"postgres\" is not "
                                 "allowed (allowed: \"readonly_user\"); ask for a role")));
  const ca::v1::SignUserX509CertRequest sent = ca_.sign_x509.requests().back();
  EXPECT_EQ(sent.target(), ca::v1::SignUserX509CertRequest::TARGET_DATABASE);
  EXPECT_EQ(sent.db_user(), "postgres");
  EXPECT_EQ(sent.db_name(), "web_app_db");
  EXPECT_THAT(sent.grant_ids(), ElementsAre(kGrant));
}

TEST_F(AccessTest, DbCommandIsPsqlWithVerifyFull) {
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  ca_.sign_x509.Answer(absl::UnavailableError("ca down"));
  DbInput in{.name = "web_app_db",
             .db_user = "readonly_user",
             .addr = "127.0.0.1:5432",
             .server_ca_file = "/srv ca.pem",
             .psql_args = {"-c", "select 1"}};
  EXPECT_THAT(DbCommand(ca_, jit_dir_, in, kNow, nullptr),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(DbCommand(ca_, jit_dir_, {.name = "x", .db_user = "u"}, kNow, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db.x.addr")));
  EXPECT_THAT(
      DbCommand(ca_, jit_dir_, {.name = "x", .db_user = "../u", .addr = "h:1"}, kNow, nullptr),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AccessTest, KubeLoginWritesAKubeconfigWithTheClientCertificate) {
  EXPECT_THAT(
      KubeLogin(ca_, jit_dir_, {.cluster = "prod", .server = "https://k:6443", .ca_file = "/k.pem"},
                Text()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("run `jit certs`")));
  ASSERT_OK(Certs(auth_, requests_, ca_, jit_dir_, {}, Text()));
  EXPECT_THAT(
      KubeLogin(ca_, jit_dir_, {.cluster = "prod", .server = "https://k:6443", .ca_file = "/k.pem"},
                Text()),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no Kubernetes access")));
  ca::v1::SignUserX509CertResponse signed_cert;
  signed_cert.set_certificate_pem("-----BEGIN CERTIFICATE-----\nk\n-----END CERTIFICATE-----\n");
  signed_cert.mutable_issued()->set_user("alice");
  signed_cert.mutable_issued()->add_principals("system:authenticated");
  *signed_cert.mutable_issued()->mutable_valid_before() = ToProtoTimestamp(kNow + absl::Hours(1));
  ca_.sign_x509.Answer(signed_cert);
  out_.str("");
  ASSERT_OK(KubeLogin(
      ca_, jit_dir_, {.cluster = "prod", .server = "https://k:6443", .ca_file = "/k.pem"}, Text()));
  const ca::v1::SignUserX509CertRequest sent = ca_.sign_x509.requests().back();
  EXPECT_EQ(sent.target(), ca::v1::SignUserX509CertRequest::TARGET_KUBERNETES);
  EXPECT_THAT(sent.grant_ids(), ElementsAre(kGrant));
  const std::string config = Slurp(jit_dir_ + "/kube/prod.kubeconfig");
  EXPECT_THAT(config, HasSubstr("server: \"https://k:6443\""));
  EXPECT_THAT(config, HasSubstr("certificate-authority: \"/k.pem\""));
  EXPECT_THAT(config, HasSubstr("client-certificate: \"" + jit_dir_ + "/kube/prod.crt\""));
  EXPECT_THAT(config, HasSubstr("client-key: \"" + AccessFiles(jit_dir_).tls_key + "\""));
  EXPECT_EQ(Mode(jit_dir_ + "/kube/prod.kubeconfig"), 0600);
  EXPECT_THAT(out_.str(), HasSubstr("export KUBECONFIG=" + jit_dir_ + "/kube/prod.kubeconfig"));
  EXPECT_THAT(KubeLogin(ca_, jit_dir_, {.cluster = "../x", .server = "s", .ca_file = "c"}, Text()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AccessFilesTest, LayoutUnderTheJitDirectory) {
  AccessFiles f("/h/.jit");
  EXPECT_EQ(f.ssh_key, "/h/.jit/ssh/id_ed25519");
  EXPECT_EQ(f.ssh_cert, "/h/.jit/ssh/id_ed25519-cert.pub");
  EXPECT_EQ(f.DbCert("readonly_user"), "/h/.jit/tls/db-readonly_user.crt");
}

}  // namespace
}  // namespace jit::cli
