// X.509 outputs judged by the openssl command line tool (OpenSSL 3.0 on Debian 12):
// `openssl verify` accepts client certificates of every CA kind for TLS client auth;
// `openssl x509 -text` shows the intended subject and extensions; `openssl verify -crl_check`
// refuses a revoked certificate and accepts another; a CSR made by `openssl req` is parsed
// and certified.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/client_cert.h"
#include "common/pki/crl.h"
#include "common/pki/csr.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gtest/gtest.h"

namespace jit::pki {
namespace {

using ::jit::testing::ReadFileOrEmpty;
using ::jit::testing::RunShell;
using ::testing::HasSubstr;

std::string TempDir() {
  static int counter = 0;
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp", "/openssl", ++counter);
  mkdir(dir.c_str(), 0700);
  return dir;
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

class OpenSslInteropTest : public ::testing::TestWithParam<crypto::CaKeyAlgorithm> {
 protected:
  void SetUp() override {
    signer_ = *crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(GetParam()));
    ca_ = *CreateCertificateAuthorityForKey(signer_->key(),
                                            {.common_name = "jit-access x509-user CA"}, now_);
    WriteFile(dir_ + "/ca.pem", *CertificateToPem(ca_.cert.get()));
  }
  IssuedClientCertificate Issue(const std::string& cn, std::vector<std::string> orgs = {}) {
    key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    auto issued = IssueClientCertificate(ca_, {.public_key = key_.get(),
                                               .common_name = cn,
                                               .organizations = std::move(orgs),
                                               .not_before = now_ - absl::Minutes(1),
                                               .not_after = now_ + absl::Hours(1),
                                               .roles = {"kube-admin"},
                                               .grant_ids = {"req-9"}});
    EXPECT_TRUE(issued.ok()) << issued.status();
    return *std::move(issued);
  }

  const absl::Time now_ = absl::Now();
  const std::string dir_ = TempDir();
  std::unique_ptr<crypto::CaSigner> signer_;
  CertificateAuthority ca_;
  crypto::EvpPkeyPtr key_;
};

TEST_P(OpenSslInteropTest, VerifyAcceptsClientCertificatesForClientAuth) {
  WriteFile(dir_ + "/leaf.pem", Issue("app_reader").pem);
  auto [rc, out] = RunShell(absl::StrCat("openssl verify -x509_strict -purpose sslclient -CAfile ",
                                         dir_, "/ca.pem ", dir_, "/leaf.pem"));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("leaf.pem: OK"));
  auto [rc2, out2] = RunShell(absl::StrCat("openssl verify -purpose sslserver -CAfile ", dir_,
                                           "/ca.pem ", dir_, "/leaf.pem"));
  EXPECT_NE(rc2, 0) << out2;
}

TEST_P(OpenSslInteropTest, TextShowsSubjectAndExtensionsAsIntended) {
  WriteFile(dir_ + "/kube.pem", Issue("alice", {"system:masters", "dev"}).pem);
  auto [rc, out] = RunShell(absl::StrCat("openssl x509 -noout -text -in ", dir_, "/kube.pem"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Subject: O = system:masters, O = dev, CN = alice"));
  EXPECT_THAT(out, HasSubstr("Issuer: O = jit-access, CN = jit-access x509-user CA"));
  EXPECT_THAT(out, HasSubstr("X509v3 Basic Constraints: critical\n                CA:FALSE"));
  EXPECT_THAT(out, HasSubstr("X509v3 Key Usage: critical\n                Digital Signature\n"));
  EXPECT_THAT(out, HasSubstr("X509v3 Extended Key Usage: \n                TLS Web Client "
                             "Authentication\n"));
  EXPECT_THAT(out, HasSubstr("X509v3 Subject Key Identifier"));
  EXPECT_THAT(out, HasSubstr("X509v3 Authority Key Identifier"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat(kJitAccessExtensionOid, ": \n")));
  EXPECT_THAT(out, HasSubstr("kube-admin"));
}

TEST_P(OpenSslInteropTest, CrlCheckRefusesTheRevokedCertificateOnly) {
  const IssuedClientCertificate revoked = Issue("app_reader");
  const IssuedClientCertificate kept = Issue("app_reader");
  WriteFile(dir_ + "/revoked.pem", revoked.pem);
  WriteFile(dir_ + "/kept.pem", kept.pem);
  ASSERT_OK_AND_ASSIGN(Crl crl,
                       BuildCrl(ca_, {{revoked.serial_hex, now_}}, {.crl_number = 7}, now_));
  WriteFile(dir_ + "/crl.pem", crl.pem);
  const std::string verify = absl::StrCat("openssl verify -crl_check -CAfile ", dir_,
                                          "/ca.pem -CRLfile ", dir_, "/crl.pem ");
  auto [rc, out] = RunShell(verify + dir_ + "/revoked.pem");
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("certificate revoked"));
  auto [rc2, out2] = RunShell(verify + dir_ + "/kept.pem");
  EXPECT_EQ(rc2, 0) << out2;
  auto [rc3, text] = RunShell(absl::StrCat("openssl crl -noout -text -in ", dir_, "/crl.pem"));
  ASSERT_EQ(rc3, 0) << text;
  EXPECT_THAT(text, HasSubstr("X509v3 CRL Number: \n                7\n"));
  EXPECT_THAT(text, HasSubstr("Next Update:"));
  EXPECT_THAT(text, HasSubstr(absl::AsciiStrToUpper(revoked.serial_hex)));
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, OpenSslInteropTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

TEST(OpenSslCsrInteropTest, CsrFromOpenSslReqIsCertifiedForItsKey) {
  const std::string dir = TempDir();
  for (const std::string& newkey : {std::string("ec -pkeyopt ec_paramgen_curve:P-256"),
                                    std::string("ed25519"), std::string("rsa:2048")}) {
    SCOPED_TRACE(newkey);
    auto [rc, out] = RunShell(absl::StrCat("openssl req -new -newkey ", newkey,
                                           " -nodes -subj /CN=whoever -keyout ", dir,
                                           "/key.pem -out ", dir, "/req.pem"));
    ASSERT_EQ(rc, 0) << out;
    ASSERT_OK_AND_ASSIGN(CertificateRequest req, ParseCsr(ReadFileOrEmpty(dir + "/req.pem")));
    EXPECT_EQ(req.subject_common_name, "whoever");
    ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, absl::Now()));
    ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued,
                         IssueClientCertificate(ca, {.public_key = req.public_key.get(),
                                                     .common_name = "db_user",
                                                     .not_before = absl::Now(),
                                                     .not_after = absl::Now() + absl::Hours(1)}));
    ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(issued.pem));
    ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr key,
                         crypto::ParsePrivateKeyPem(ReadFileOrEmpty(dir + "/key.pem")));
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  }
}

}  // namespace
}  // namespace jit::pki
