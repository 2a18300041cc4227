#include "common/pki/client_cert.h"

#include <openssl/x509v3.h>

#include <string>

#include "common/crypto/ca_signer.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::pki {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

CertificateAuthority NewUserCa(crypto::CaKeyAlgorithm algorithm) {
  auto signer = crypto::CaSigner::Create(*crypto::GenerateCaPrivateKey(algorithm));
  auto ca = CreateCertificateAuthorityForKey(
      (*signer)->key(), {.common_name = "jit-access x509-user CA"}, kNow - absl::Hours(1));
  EXPECT_TRUE(ca.ok()) << ca.status();
  return *std::move(ca);
}

crypto::EvpPkeyPtr NewClientKey() {
  return crypto::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

ClientCertificateRequest DbRequest(EVP_PKEY* key) {
  return {.public_key = key,
          .common_name = "app_reader",
          .not_before = kNow - absl::Minutes(1),
          .not_after = kNow + absl::Hours(1),
          .roles = {"dba"},
          .grant_ids = {"req-42"}};
}

crypto::X509Ptr Parse(const IssuedClientCertificate& issued) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(issued.der.data());
  return crypto::X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(issued.der.size())));  // NOLINT
}

std::vector<std::string> NameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

class ClientCertCaKindsTest : public ::testing::TestWithParam<crypto::CaKeyAlgorithm> {};

TEST_P(ClientCertCaKindsTest, VerifiesForClientAuthOnly) {
  CertificateAuthority ca = NewUserCa(GetParam());
  crypto::EvpPkeyPtr key = NewClientKey();
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued,
                       IssueClientCertificate(ca, DbRequest(key.get())));
  crypto::X509Ptr cert = Parse(issued);
  ASSERT_NE(cert, nullptr);
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow, /*server_auth=*/false,
                                /*client_auth=*/true),
              IsOk());
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow, /*server_auth=*/true,
                                /*client_auth=*/false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr from_pem, ParseCertificatePem(issued.pem));
  EXPECT_EQ(X509_cmp(from_pem.get(), cert.get()), 0);
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, ClientCertCaKindsTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

class ClientCertTest : public ::testing::Test {
 protected:
  CertificateAuthority ca_ = NewUserCa(crypto::CaKeyAlgorithm::kEcdsaP256);
  crypto::EvpPkeyPtr key_ = NewClientKey();
};

TEST_F(ClientCertTest, DatabaseCertificateNamesTheDatabaseUser) {
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued,
                       IssueClientCertificate(ca_, DbRequest(key_.get())));
  crypto::X509Ptr cert = Parse(issued);
  EXPECT_THAT(NameEntries(X509_get_subject_name(cert.get()), NID_commonName),
              ElementsAre("app_reader"));
  EXPECT_TRUE(NameEntries(X509_get_subject_name(cert.get()), NID_organizationName).empty());
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca_.cert.get())),
            0);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key_.get()), 1);
}

TEST_F(ClientCertTest, DerIsWhatOpenSslWritesBack) {
  ClientCertificateRequest request = DbRequest(key_.get());
  request.organizations = {"dev", "J\xc3\xbcrgens team"};
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued, IssueClientCertificate(ca_, request));
  crypto::X509Ptr cert = Parse(issued);
  ASSERT_NE(cert, nullptr);
  // Re-encoding from OpenSSL's decoded fields (not its cached bytes) gives the same DER.
  X509_set_version(cert.get(), X509_VERSION_3);  // marks the TBS modified
  unsigned char* der = nullptr;
  const int len = i2d_re_X509_tbs(cert.get(), &der);
  ASSERT_GT(len, 0);
  const std::string tbs(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EXPECT_NE(issued.der.find(tbs), std::string::npos);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(ca_.cert.get())), 1);
}

TEST_F(ClientCertTest, KubernetesCertificateHasOneOPerGroup) {
  ClientCertificateRequest request = DbRequest(key_.get());
  request.common_name = "alice";
  request.organizations = {"system:masters", "dev-team"};
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued, IssueClientCertificate(ca_, request));
  crypto::X509Ptr cert = Parse(issued);
  EXPECT_THAT(NameEntries(X509_get_subject_name(cert.get()), NID_organizationName),
              ElementsAre("system:masters", "dev-team"));
  EXPECT_THAT(NameEntries(X509_get_subject_name(cert.get()), NID_commonName), ElementsAre("alice"));
}

TEST_F(ClientCertTest, ExtensionsAreThoseOfAClientCertificate) {
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued,
                       IssueClientCertificate(ca_, DbRequest(key_.get())));
  crypto::X509Ptr cert = Parse(issued);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    const int idx = X509_get_ext_by_NID(cert.get(), nid, -1);
    ASSERT_GE(idx, 0);
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), idx)), 1) << OBJ_nid2sn(nid);
  }
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert.get());
  ASSERT_NE(ski, nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(X509_pubkey_digest(cert.get(), EVP_sha1(), md, &md_len), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                        static_cast<size_t>(ASN1_STRING_length(ski))),
            std::string(reinterpret_cast<char*>(md), md_len));
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca_.cert.get())), 0);
}

TEST_F(ClientCertTest, RolesAndGrantsReadBackFromThePrivateExtension) {
  ClientCertificateRequest request = DbRequest(key_.get());
  request.roles = {"dba", "dev"};
  request.grant_ids = {"req-42", "req-43"};
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued, IssueClientCertificate(ca_, request));
  crypto::X509Ptr cert = Parse(issued);
  ASSERT_OK_AND_ASSIGN(std::optional<JitAccessGrants> grants, ReadJitAccessExtension(cert.get()));
  ASSERT_TRUE(grants.has_value());
  EXPECT_THAT(grants->roles, ElementsAre("dba", "dev"));
  EXPECT_THAT(grants->grant_ids, ElementsAre("req-42", "req-43"));
  const int idx = X509_get_ext_by_OBJ(cert.get(), OBJ_txt2obj(kJitAccessExtensionOid, 1), -1);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), idx)), 0);
  // The CA's own certificate has none.
  EXPECT_THAT(ReadJitAccessExtension(ca_.cert.get()), jit::testing::IsOkAndHolds(std::nullopt));
}

TEST_F(ClientCertTest, SerialsAreRandom128BitAndReported) {
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate a,
                       IssueClientCertificate(ca_, DbRequest(key_.get())));
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate b,
                       IssueClientCertificate(ca_, DbRequest(key_.get())));
  EXPECT_EQ(a.serial_hex.size(), 32u);
  EXPECT_NE(a.serial_hex, b.serial_hex);
  crypto::X509Ptr cert = Parse(a);
  crypto::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string upper(hex);
  OPENSSL_free(hex);
  std::string lower = upper;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower, a.serial_hex);
}

TEST_F(ClientCertTest, ValidityIsAsRequestedAndClippedToTheCa) {
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate issued,
                       IssueClientCertificate(ca_, DbRequest(key_.get())));
  EXPECT_EQ(issued.not_before, kNow - absl::Minutes(1));
  EXPECT_EQ(issued.not_after, kNow + absl::Hours(1));
  ClientCertificateRequest request = DbRequest(key_.get());
  request.not_after = kNow + absl::Hours(24 * 365 * 20);
  ASSERT_OK_AND_ASSIGN(IssuedClientCertificate clipped, IssueClientCertificate(ca_, request));
  ASSERT_OK_AND_ASSIGN(CertificateInfo ca_info, DescribeCertificate(ca_.cert.get()));
  EXPECT_EQ(clipped.not_after, ca_info.not_after);
}

TEST_F(ClientCertTest, ExpiredCaIssuesNothing) {
  ClientCertificateRequest request = DbRequest(key_.get());
  request.not_before = kNow + absl::Hours(24 * 365 * 11);
  request.not_after = request.not_before + absl::Hours(1);
  EXPECT_THAT(IssueClientCertificate(ca_, request),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ClientCertTest, BadNamesAreRefused) {
  ClientCertificateRequest request = DbRequest(key_.get());
  request.common_name = "";
  EXPECT_THAT(IssueClientCertificate(ca_, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("common name")));
  request.common_name = std::string(65, 'a');
  EXPECT_THAT(IssueClientCertificate(ca_, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 characters")));
  request.common_name = std::string(64, 'a');
  EXPECT_OK(IssueClientCertificate(ca_, request).status());
  request.common_name = "alice\nCN=root";
  EXPECT_THAT(IssueClientCertificate(ca_, request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.common_name = "alice";
  request.organizations = {""};
  EXPECT_THAT(IssueClientCertificate(ca_, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("organization")));
  request.organizations = {};
  request.common_name = "\xff\xfe";  // not UTF-8
  EXPECT_THAT(IssueClientCertificate(ca_, request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ClientCertTest, WeakKeyAndEmptyValidityAreRefused) {
  crypto::EvpPkeyPtr weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  EXPECT_THAT(IssueClientCertificate(ca_, DbRequest(weak.get())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RSA")));
  ClientCertificateRequest request = DbRequest(key_.get());
  request.not_after = request.not_before;
  EXPECT_THAT(IssueClientCertificate(ca_, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not_before")));
  request = DbRequest(nullptr);
  EXPECT_THAT(IssueClientCertificate(ca_, request), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::pki
