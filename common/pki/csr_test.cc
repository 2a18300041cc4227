#include "common/pki/csr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "common/crypto/openssl_util.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::pki {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

using X509ReqPtr = crypto::OpenSslPtr<X509_REQ, X509_REQ_free>;

crypto::EvpPkeyPtr NewKey(const char* type, const char* param = nullptr) {
  if (std::string(type) == "RSA") {
    return crypto::EvpPkeyPtr(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoi(param))));
  }
  return crypto::EvpPkeyPtr(param == nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type)
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type, param));
}

// A CSR for `key` with CN=`cn`, as DER.
std::string MakeCsrDer(EVP_PKEY* key, const char* cn = "alice") {
  X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  X509_REQ_sign(req.get(), key, EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string ToPem(std::string_view der, const char* label = "CERTIFICATE REQUEST") {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), label, "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));  // NOLINT
  return crypto::BioContents(bio.get());
}

TEST(CsrTest, AcceptedKeyKindsParseFromPemAndDer) {
  for (const auto& [type, param] :
       std::initializer_list<std::pair<const char*, const char*>>{{"ED25519", nullptr},
                                                                  {"EC", "P-256"},
                                                                  {"EC", "P-384"},
                                                                  {"EC", "P-521"},
                                                                  {"RSA", "2048"}}) {
    SCOPED_TRACE(param == nullptr ? type : param);
    crypto::EvpPkeyPtr key = NewKey(type, param);
    const std::string der = MakeCsrDer(key.get());
    ASSERT_OK_AND_ASSIGN(CertificateRequest from_pem, ParseCsr(ToPem(der)));
    EXPECT_EQ(EVP_PKEY_eq(from_pem.public_key.get(), key.get()), 1);
    EXPECT_EQ(from_pem.subject_common_name, "alice");
    ASSERT_OK_AND_ASSIGN(CertificateRequest from_der, ParseCsr(der));
    EXPECT_EQ(EVP_PKEY_eq(from_der.public_key.get(), key.get()), 1);
  }
}

TEST(CsrTest, BadSignatureIsRefused) {
  crypto::EvpPkeyPtr key = NewKey("EC", "P-256");
  std::string der = MakeCsrDer(key.get());
  // The CN's first byte is covered by the signature.
  der[der.find("alice")] = 'A';
  EXPECT_THAT(ParseCsr(der),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not verify")));
}

TEST(CsrTest, CsrSignedByAnotherKeyIsRefused) {
  crypto::EvpPkeyPtr key = NewKey("EC", "P-256");
  crypto::EvpPkeyPtr other = NewKey("EC", "P-256");
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key.get());
  X509_REQ_sign(req.get(), other.get(), EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  const std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EXPECT_THAT(ParseCsr(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not verify")));
}

TEST(CsrTest, OversizedCsrIsRefusedBeforeParsing) {
  EXPECT_THAT(ParseCsr(std::string(kMaxCsrSize + 1, 'A')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than the limit")));
}

TEST(CsrTest, GarbageEmptyAndTrailingDataAreRefused) {
  EXPECT_THAT(ParseCsr(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCsr("hello"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PKCS#10")));
  EXPECT_THAT(ParseCsr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  crypto::EvpPkeyPtr key = NewKey("ED25519");
  const std::string der = MakeCsrDer(key.get());
  EXPECT_THAT(ParseCsr(der + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after")));
  EXPECT_THAT(ParseCsr(ToPem(der) + "junk"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after")));
  EXPECT_THAT(ParseCsr(ToPem(der, "CERTIFICATE")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a CERTIFICATE REQUEST")));
  EXPECT_OK(ParseCsr("\n" + ToPem(der) + "\n\n").status());
}

TEST(CsrTest, WeakOrUnsupportedKeysAreRefused) {
  crypto::EvpPkeyPtr rsa1024 = NewKey("RSA", "1024");
  EXPECT_THAT(ParseCsr(MakeCsrDer(rsa1024.get())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 1024")));
  crypto::EvpPkeyPtr p224 = NewKey("EC", "P-224");
  EXPECT_THAT(ParseCsr(MakeCsrDer(p224.get())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("P-256, P-384 or P-521")));
}

TEST(CsrTest, PublicKeyPemParsesUnderTheSameRules) {
  crypto::EvpPkeyPtr key = NewKey("EC", "P-256");
  ASSERT_OK_AND_ASSIGN(std::string pem, crypto::PublicKeyToPem(key.get()));
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr parsed, ParseClientPublicKey(pem));
  EXPECT_EQ(EVP_PKEY_eq(parsed.get(), key.get()), 1);
  crypto::EvpPkeyPtr weak = NewKey("RSA", "1024");
  EXPECT_THAT(ParseClientPublicKey(*crypto::PublicKeyToPem(weak.get())),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseClientPublicKey(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseClientPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::pki
