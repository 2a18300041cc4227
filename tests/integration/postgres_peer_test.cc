// X.509 client certificates and CRLs from common/pki judged by a real PostgreSQL 15 with
// certificate authentication and a real psql (testkit's PostgresTlsServer, one per suite):
// a fresh certificate from a CA of each kind logs in as the role named by its CN; expired,
// other-CN and foreign-CA certificates are refused; with our CRLs in ssl_crl_file a revoked
// certificate is refused and another from the same CA accepted.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/client_cert.h"
#include "common/pki/crl.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/integration/testkit/postgres_tls_server.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using testkit::PostgresTlsServer;
using testkit::PsqlResult;

struct UserCa {
  std::unique_ptr<crypto::CaSigner> signer;
  pki::CertificateAuthority ca;
};

UserCa NewCa(crypto::CaKeyAlgorithm algorithm) {
  UserCa out;
  out.signer = *crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(algorithm));
  out.ca = *pki::CreateCertificateAuthorityForKey(
      out.signer->key(),
      {.common_name = absl::StrCat("jit-access x509-user CA (",
                                   std::string(crypto::CaKeyAlgorithmName(algorithm)), ")")},
      // Back-dated so that it can issue certificates that have already expired.
      absl::Now() - absl::Hours(3));
  return out;
}

// A client certificate and its key.
struct Client {
  std::string cert_pem;
  SecretString key_pem;
  std::string serial_hex;
};

Client Issue(const UserCa& ca, const std::string& cn, absl::Duration from = absl::Minutes(-1),
             absl::Duration to = absl::Hours(1)) {
  crypto::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto issued = pki::IssueClientCertificate(ca.ca, {.public_key = key.get(),
                                                    .common_name = cn,
                                                    .not_before = absl::Now() + from,
                                                    .not_after = absl::Now() + to,
                                                    .roles = {"dba"},
                                                    .grant_ids = {"req-1"}});
  EXPECT_TRUE(issued.ok()) << issued.status();
  return {issued->pem, *crypto::PrivateKeyToPem(key.get()), issued->serial_hex};
}

class PostgresPeerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (auto kind : {crypto::CaKeyAlgorithm::kEcdsaP256, crypto::CaKeyAlgorithm::kEd25519,
                      crypto::CaKeyAlgorithm::kRsa}) {
      cas_.push_back(NewCa(kind));
    }
    std::string bundle;
    for (const UserCa& ca : cas_) bundle += *pki::CertificateToPem(ca.ca.cert.get());
    auto pg = PostgresTlsServer::Start(
        {.client_ca_pem = bundle, .crl_pem = Crls({}), .roles = {"app_reader", "app_writer"}});
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
  }

  static void TearDownTestSuite() {
    if (pg_ != nullptr) EXPECT_OK(pg_->Stop());
    pg_.reset();
    cas_.clear();
  }

  // One CRL per CA (OpenSSL wants a CRL for every CA in the chain), revoking `serials` of
  // the first CA.
  static std::string Crls(const std::vector<std::string>& serials) {
    static uint64_t number = 0;
    std::string pem;
    for (size_t i = 0; i < cas_.size(); ++i) {
      std::vector<pki::RevokedCertificate> revoked;
      if (i == 0) {
        for (const std::string& s : serials) revoked.push_back({s, absl::Now()});
      }
      auto crl = pki::BuildCrl(cas_[i].ca, revoked, {.crl_number = ++number}, absl::Now());
      EXPECT_TRUE(crl.ok()) << crl.status();
      pem += crl->pem;
    }
    return pem;
  }

  static PsqlResult Psql(const std::string& user, const Client& client) {
    auto result = pg_->RunPsql(user, client.cert_pem, client.key_pem);
    EXPECT_TRUE(result.ok()) << result.status();
    return *result;
  }

  static inline std::unique_ptr<PostgresTlsServer> pg_;
  static inline std::vector<UserCa> cas_;
};

TEST_F(PostgresPeerTest, FreshCertificateFromACaOfEachKindLogsInAsItsCn) {
  for (const UserCa& ca : cas_) {
    SCOPED_TRACE(X509_NAME_oneline(X509_get_subject_name(ca.ca.cert.get()), nullptr, 0));
    const PsqlResult r = Psql("app_reader", Issue(ca, "app_reader"));
    EXPECT_EQ(r.exit_code, 0) << r.output << pg_->Log();
    EXPECT_EQ(r.output, "app_reader\n");
  }
}

TEST_F(PostgresPeerTest, ExpiredCertificateIsRefusedInTls) {
  const PsqlResult r =
      Psql("app_reader", Issue(cas_[0], "app_reader", absl::Hours(-2), absl::Hours(-1)));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate expired"));
}

TEST_F(PostgresPeerTest, CertificateForAnotherRoleIsRefused) {
  const PsqlResult r = Psql("app_reader", Issue(cas_[0], "app_writer"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate authentication failed for user \"app_reader\""));
}

TEST_F(PostgresPeerTest, CertificateFromAnotherCaIsRefused) {
  const UserCa foreign = NewCa(crypto::CaKeyAlgorithm::kEcdsaP256);
  const PsqlResult r = Psql("app_reader", Issue(foreign, "app_reader"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("unknown ca"));
}

TEST_F(PostgresPeerTest, CrlRevokesOneCertificateAndNotAnotherFromTheSameCa) {
  const Client revoked = Issue(cas_[0], "app_reader");
  const Client kept = Issue(cas_[0], "app_reader");
  ASSERT_OK(pg_->SetCrl(Crls({revoked.serial_hex})));
  const PsqlResult refused = Psql("app_reader", revoked);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, HasSubstr("certificate revoked"));
  const PsqlResult accepted = Psql("app_reader", kept);
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_EQ(accepted.output, "app_reader\n");

  ASSERT_OK(pg_->SetCrl(Crls({})));
  const PsqlResult again = Psql("app_reader", revoked);
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

}  // namespace
}  // namespace jit
