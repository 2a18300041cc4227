#include "common/pki/crl.h"

#include <openssl/x509v3.h>

#include "common/crypto/ca_signer.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/client_cert.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::pki {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

using X509CrlPtr = crypto::OpenSslPtr<X509_CRL, X509_CRL_free>;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

class CrlTest : public ::testing::TestWithParam<crypto::CaKeyAlgorithm> {
 protected:
  void SetUp() override {
    signer_ = *crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(GetParam()));
    ca_ = *CreateCertificateAuthorityForKey(signer_->key(), {.common_name = "user CA"},
                                            kNow - absl::Hours(1));
  }
  IssuedClientCertificate Issue() {
    key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    return *IssueClientCertificate(ca_, {.public_key = key_.get(),
                                         .common_name = "app",
                                         .not_before = kNow - absl::Minutes(1),
                                         .not_after = kNow + absl::Hours(1)});
  }
  static X509CrlPtr ParseDer(const std::string& der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    return X509CrlPtr(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  }
  // OpenSSL's verdict on `cert` with this CRL loaded, at kNow.
  int VerifyWithCrl(const IssuedClientCertificate& cert, X509_CRL* crl) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(cert.der.data());
    crypto::X509Ptr leaf(d2i_X509(nullptr, &p, static_cast<long>(cert.der.size())));  // NOLINT
    crypto::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca_.cert.get());
    X509_STORE_add_crl(store.get(), crl);
    crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(kNow));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
  }

  std::unique_ptr<crypto::CaSigner> signer_;
  CertificateAuthority ca_;
  crypto::EvpPkeyPtr key_;
};

TEST_P(CrlTest, RevokedCertificateFailsOthersPass) {
  const IssuedClientCertificate revoked = Issue();
  const IssuedClientCertificate kept = Issue();
  ASSERT_OK_AND_ASSIGN(Crl crl, BuildCrl(ca_, {{revoked.serial_hex, kNow - absl::Minutes(2)}},
                                         {.crl_number = 3}, kNow));
  X509CrlPtr parsed = ParseDer(crl.der);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(VerifyWithCrl(revoked, parsed.get()), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(VerifyWithCrl(kept, parsed.get()), X509_V_OK);
}

TEST_P(CrlTest, FieldsAreThoseOfAV2CrlFromThisCa) {
  const IssuedClientCertificate revoked = Issue();
  ASSERT_OK_AND_ASSIGN(Crl crl, BuildCrl(ca_, {{revoked.serial_hex, kNow}},
                                         {.crl_number = 42, .validity = absl::Hours(6)}, kNow));
  X509CrlPtr parsed = ParseDer(crl.der);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(X509_CRL_get_version(parsed.get()), 1);  // v2
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(parsed.get()), X509_get_subject_name(ca_.cert.get())),
            0);
  EXPECT_EQ(X509_CRL_verify(parsed.get(), X509_get0_pubkey(ca_.cert.get())), 1);
  EXPECT_EQ(crl.this_update, kNow - kCrlBackdate);
  EXPECT_EQ(crl.next_update, kNow + absl::Hours(6));
  crypto::Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(parsed.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 42);
  EXPECT_GE(X509_CRL_get_ext_by_NID(parsed.get(), NID_authority_key_identifier, -1), 0);
  // The revocation date is never after thisUpdate.
  X509_REVOKED* entry = nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(revoked.der.data());
  crypto::X509Ptr leaf(d2i_X509(nullptr, &p, static_cast<long>(revoked.der.size())));  // NOLINT
  ASSERT_EQ(X509_CRL_get0_by_serial(parsed.get(), &entry, X509_get0_serialNumber(leaf.get())), 1);
  EXPECT_LE(
      ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(entry), absl::ToTimeT(crl.this_update)),
      0);
  EXPECT_NE(crl.pem.find("-----BEGIN X509 CRL-----"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, CrlTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

class CrlInputTest : public ::testing::Test {
 protected:
  CertificateAuthority ca_ = *CreateCertificateAuthority({}, kNow);
};

TEST_F(CrlInputTest, EmptyListIsAValidCrl) {
  ASSERT_OK_AND_ASSIGN(Crl crl, BuildCrl(ca_, {}, {}, kNow));
  EXPECT_FALSE(crl.der.empty());
}

TEST_F(CrlInputTest, BadOrRepeatedSerialsAreRefused) {
  EXPECT_THAT(BuildCrl(ca_, {{"xyz", kNow}}, {}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hex")));
  EXPECT_THAT(BuildCrl(ca_, {{"00", kNow}}, {}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0")));
  EXPECT_THAT(BuildCrl(ca_, {{"0a0b", kNow}, {"0A0B", kNow}}, {}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(BuildCrl(ca_, {}, {.validity = absl::ZeroDuration()}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::pki
