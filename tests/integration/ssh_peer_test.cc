// OpenSSH certificates and KRLs built by common/ssh, judged by a real sshd and ssh client
// (testkit's SshdServer, one per suite): a fresh user certificate from a CA of each kind is
// accepted; expired, not-yet-valid, wrong-principal and foreign-CA certificates are refused for
// the reason sshd logs; a host certificate is accepted by ssh with an @cert-authority line and
// StrictHostKeyChecking=yes; with RevokedKeys = our KRL a revoked certificate is refused
// ("revoked by file") and another from the same CA accepted.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/ed25519.h"
#include "common/ssh/certificate.h"
#include "common/ssh/krl.h"
#include "common/ssh/private_key.h"
#include "common/ssh/signature.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/sshd_server.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testkit::SshClientOptions;
using testkit::SshdServer;
using testkit::SshResult;

constexpr char kPrincipal[] = "alice-root";

std::unique_ptr<ssh::CaSshSigner> NewCa(crypto::CaKeyAlgorithm algorithm) {
  auto pem = crypto::GenerateCaPrivateKey(algorithm);
  auto ca = crypto::CaSigner::Create(*pem);
  return *ssh::CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(*std::move(ca)));
}

// A user key pair: the OpenSSH private key file and the public key.
struct UserKey {
  SecretString file;
  ssh::SshPublicKey public_key;
};

UserKey NewUserKey() {
  SecretString seed = *crypto::GenerateEd25519Seed();
  return {*ssh::EncodeOpenSshEd25519PrivateKey(seed, "test user"),
          *ssh::SshPublicKey::FromEd25519(*crypto::Ed25519PublicKeyFromSeed(seed))};
}

class SshPeerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (auto kind : {crypto::CaKeyAlgorithm::kEd25519, crypto::CaKeyAlgorithm::kEcdsaP256,
                      crypto::CaKeyAlgorithm::kRsa}) {
      user_cas_.push_back(NewCa(kind));
    }
    host_ca_ = NewCa(crypto::CaKeyAlgorithm::kEd25519);
    auto sshd = SshdServer::Create();
    ASSERT_TRUE(sshd.ok()) << sshd.status();
    sshd_ = *std::move(sshd);
    const uint64_t now = ssh::ToCertTime(absl::Now());
    ssh::SshCertificateSpec host{.key = sshd_->host_key(),
                                 .type = ssh::SshCertType::kHost,
                                 .serial = 1,
                                 .key_id = "test sshd",
                                 .principals = {"127.0.0.1", "localhost"},
                                 .valid_after = now - 60,
                                 .valid_before = now + 3600};
    auto host_cert = ssh::SignSshCertificate(host, *host_ca_);
    ASSERT_TRUE(host_cert.ok()) << host_cert.status();
    std::vector<std::string> trusted;
    for (const auto& ca : user_cas_) trusted.push_back(ca->public_key().ToLine("user CA"));
    const absl::Status started = sshd_->Start({
        .trusted_user_ca_keys = trusted,
        .authorized_principals = {{"root", {kPrincipal}}},
        .host_certificate = *ssh::SshCertificateLine(*host_cert),
        .revoked_keys = EmptyKrl(),
    });
    ASSERT_TRUE(started.ok()) << started;
  }

  static void TearDownTestSuite() {
    if (sshd_ != nullptr) EXPECT_OK(sshd_->Stop());
    sshd_.reset();
    host_ca_.reset();
    user_cas_.clear();
  }

  static std::string EmptyKrl() {
    return *ssh::BuildKrl({.version = 1, .generated = absl::Now(), .comment = "none revoked"});
  }

  // A user certificate for `key`, valid now unless told otherwise.
  static std::string UserCert(const ssh::SshSigner& ca, const UserKey& key, uint64_t serial,
                              std::vector<std::string> principals = {kPrincipal},
                              int64_t from = -60, int64_t to = 3600) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    ssh::SshCertificateSpec spec{
        .key = key.public_key,
        .serial = serial,
        .key_id = absl::StrCat("alice/req-1/", serial),
        .principals = std::move(principals),
        .valid_after = static_cast<uint64_t>(now + from),
        .valid_before = static_cast<uint64_t>(now + to),
        .extensions = {ssh::FlagOption("permit-pty")},
    };
    auto wire = ssh::SignSshCertificate(spec, ca);
    EXPECT_TRUE(wire.ok()) << wire.status();
    return *ssh::SshCertificateLine(*wire);
  }

  // Logs in with `cert`; returns the result and what sshd logged meanwhile.
  std::pair<SshResult, std::string> Login(const UserKey& key, const std::string& cert,
                                          std::string known_hosts = "") {
    const size_t mark = sshd_->LogSize();
    auto result = sshd_->RunSsh(SshClientOptions{
        .private_key = key.file, .certificate = cert, .known_hosts = std::move(known_hosts)});
    EXPECT_TRUE(result.ok()) << result.status();
    return {*result, sshd_->LogSince(mark)};
  }

  // Waits until sshd has logged `text` after `mark` (its children write asynchronously).
  static bool LoggedSince(size_t mark, const std::string& text) {
    return testkit::Eventually(
        [&] { return sshd_->LogSince(mark).find(text) != std::string::npos; }, absl::Seconds(10));
  }

  static inline std::unique_ptr<SshdServer> sshd_;
  static inline std::unique_ptr<ssh::CaSshSigner> host_ca_;
  static inline std::vector<std::unique_ptr<ssh::CaSshSigner>> user_cas_;
  UserKey key_ = NewUserKey();
};

TEST_F(SshPeerTest, FreshUserCertificateFromACaOfEachKindIsAccepted) {
  uint64_t serial = 100;
  for (const auto& ca : user_cas_) {
    SCOPED_TRACE(ca->public_key().type_name());
    const size_t mark = sshd_->LogSize();
    auto [result, log] = Login(key_, UserCert(*ca, key_, ++serial));
    EXPECT_EQ(result.exit_code, 0) << result.output << sshd_->LogSince(mark);
    EXPECT_THAT(result.output, HasSubstr("jit-ok"));
    EXPECT_TRUE(
        LoggedSince(mark, absl::StrCat("ID alice/req-1/", serial, " (serial ", serial, ")")))
        << sshd_->LogSince(mark);
  }
}

TEST_F(SshPeerTest, ExpiredCertificateIsRefused) {
  const size_t mark = sshd_->LogSize();
  auto [result, log] = Login(key_, UserCert(*user_cas_[0], key_, 200, {kPrincipal}, -7200, -3600));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Permission denied"));
  EXPECT_TRUE(LoggedSince(mark, "Certificate invalid: expired")) << sshd_->LogSince(mark);
}

TEST_F(SshPeerTest, NotYetValidCertificateIsRefused) {
  const size_t mark = sshd_->LogSize();
  auto [result, log] = Login(key_, UserCert(*user_cas_[0], key_, 201, {kPrincipal}, 3600, 7200));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_TRUE(LoggedSince(mark, "Certificate invalid: not yet valid")) << sshd_->LogSince(mark);
}

TEST_F(SshPeerTest, CertificateForAnotherPrincipalIsRefused) {
  const size_t mark = sshd_->LogSize();
  auto [result, log] = Login(key_, UserCert(*user_cas_[0], key_, 202, {"mallory"}));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_TRUE(LoggedSince(mark, "Certificate does not contain an authorized principal"))
      << sshd_->LogSince(mark);
}

TEST_F(SshPeerTest, CertificateFromAnotherCaIsRefused) {
  auto foreign = NewCa(crypto::CaKeyAlgorithm::kEd25519);
  const size_t mark = sshd_->LogSize();
  auto [result, log] = Login(key_, UserCert(*foreign, key_, 203));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_TRUE(
      LoggedSince(mark, absl::StrCat(foreign->public_key().Fingerprint(), " is not listed in")))
      << sshd_->LogSince(mark);
}

TEST_F(SshPeerTest, HostCertificateIsAcceptedThroughACertAuthorityLine) {
  auto [result, log] =
      Login(key_, UserCert(*user_cas_[0], key_, 300),
            testkit::KnownHostsCaLine(sshd_->port(), host_ca_->public_key().ToLine()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("jit-ok"));
}

TEST_F(SshPeerTest, HostCertificateOfAnotherCaFailsHostKeyVerification) {
  auto other = NewCa(crypto::CaKeyAlgorithm::kEd25519);
  auto [result, log] =
      Login(key_, UserCert(*user_cas_[0], key_, 301),
            testkit::KnownHostsCaLine(sshd_->port(), other->public_key().ToLine()));
  EXPECT_EQ(result.exit_code, 255) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Host key verification failed"));
  EXPECT_THAT(result.output, Not(HasSubstr("jit-ok")));
}

TEST_F(SshPeerTest, KrlRevokesOneCertificateAndNotAnotherFromTheSameCa) {
  const ssh::CaSshSigner& ca = *user_cas_[0];
  const std::string revoked = UserCert(ca, key_, 4001);
  const std::string kept = UserCert(ca, key_, 4002);
  ssh::KrlSpec spec{.version = 2, .generated = absl::Now(), .comment = "test"};
  spec.certificates.push_back(
      {.ca_key_wire = ca.public_key().wire(), .serials = {4001, 4003, 9000}});
  ASSERT_OK(sshd_->SetRevokedKeys(*ssh::BuildKrl(spec)));

  const size_t mark = sshd_->LogSize();
  auto [refused, log] = Login(key_, revoked);
  EXPECT_EQ(refused.exit_code, 255) << refused.output;
  EXPECT_TRUE(LoggedSince(
      mark, absl::StrCat("Authentication key ED25519-CERT ", key_.public_key.Fingerprint(),
                         " revoked by file ", sshd_->dir(), "/revoked_keys")))
      << sshd_->LogSince(mark);
  auto [accepted, log2] = Login(key_, kept);
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_THAT(accepted.output, HasSubstr("jit-ok"));

  ASSERT_OK(sshd_->SetRevokedKeys(EmptyKrl()));
  auto [again, log3] = Login(key_, revoked);
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

}  // namespace
}  // namespace jit
