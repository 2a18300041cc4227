#include "common/pki/x509_ca.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::pki {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

LeafOptions ServiceLeaf(const std::string& name) {
  return LeafOptions{.common_name = name,
                     .uri_sans = {"spiffe://jit-access/service/" + name},
                     .dns_sans = {"localhost"},
                     .ip_sans = {"127.0.0.1", "::1"}};
}

TEST(X509CaTest, CaIsAV3CaWithPathLenZero) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  EXPECT_EQ(X509_get_version(ca.cert.get()), X509_VERSION_3);
  ASSERT_OK_AND_ASSIGN(CertificateInfo info, DescribeCertificate(ca.cert.get()));
  EXPECT_TRUE(info.is_ca);
  EXPECT_EQ(info.common_name, "jit-access internal CA");
  EXPECT_EQ(X509_get_pathlen(ca.cert.get()), 0);
  EXPECT_TRUE(X509_get_key_usage(ca.cert.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(ca.cert.get()), "EC"));
  EXPECT_EQ(info.not_before, kNow - absl::Minutes(5));
}

TEST(X509CaTest, LeafCarriesSansAndVerifiesForClientAndServer) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(IssuedCertificate leaf, IssueCertificate(ca, ServiceLeaf("ca"), kNow));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(leaf.cert_pem));
  ASSERT_OK_AND_ASSIGN(CertificateInfo info, DescribeCertificate(cert.get()));
  EXPECT_FALSE(info.is_ca);
  EXPECT_EQ(info.common_name, "ca");
  EXPECT_THAT(info.uri_sans, ElementsAre("spiffe://jit-access/service/ca"));
  EXPECT_THAT(info.dns_sans, ElementsAre("localhost"));
  EXPECT_THAT(info.ip_sans, ElementsAre("127.0.0.1", "::1"));
  EXPECT_EQ(info.not_after, kNow + absl::Hours(24 * 365));
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow), IsOk());
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr key, crypto::ParsePrivateKeyPem(leaf.key_pem.Reveal()));
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST(X509CaTest, LeafDoesNotVerifyAgainstAnotherCaOrOutsideItsValidity) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(CertificateAuthority other, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(IssuedCertificate leaf, IssueCertificate(ca, ServiceLeaf("ca"), kNow));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(leaf.cert_pem));
  EXPECT_THAT(VerifyCertificate(cert.get(), other.cert.get(), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow + absl::Hours(24 * 366)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expired")));
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow - absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not yet valid")));
}

TEST(X509CaTest, ClientOnlyLeafIsNotAServerCertificate) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  LeafOptions opts{
      .common_name = "alice", .uri_sans = {"spiffe://jit-access/user/alice"}, .server_auth = false};
  ASSERT_OK_AND_ASSIGN(IssuedCertificate leaf, IssueCertificate(ca, opts, kNow));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(leaf.cert_pem));
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow, /*server_auth=*/false), IsOk());
  EXPECT_THAT(VerifyCertificate(cert.get(), ca.cert.get(), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(X509CaTest, LeafValidityIsClippedToTheCa) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca,
                       CreateCertificateAuthority({.validity = absl::Hours(10)}, kNow));
  ASSERT_OK_AND_ASSIGN(IssuedCertificate leaf, IssueCertificate(ca, ServiceLeaf("x"), kNow));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(leaf.cert_pem));
  ASSERT_OK_AND_ASSIGN(CertificateInfo info, DescribeCertificate(cert.get()));
  EXPECT_EQ(info.not_after, kNow + absl::Hours(10));
  EXPECT_THAT(IssueCertificate(ca, ServiceLeaf("x"), kNow + absl::Hours(11)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(X509CaTest, RejectsBadLeafOptions) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  EXPECT_THAT(IssueCertificate(ca, {.common_name = "x"}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alternative name")));
  EXPECT_THAT(IssueCertificate(ca, {.common_name = "x", .ip_sans = {"300.1.1.1"}}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IP SAN")));
  EXPECT_THAT(IssueCertificate(ca, {.common_name = "x", .dns_sans = {"a b"}}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DNS SAN")));
  EXPECT_THAT(IssueCertificate(ca, {.common_name = "x", .uri_sans = {"no-scheme"}}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("URI SAN")));
  EXPECT_THAT(IssueCertificate(ca, {.common_name = "", .dns_sans = {"a"}}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(X509CaTest, LoadRoundTripsAndChecksTheKey) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(std::string cert_pem, CertificateToPem(ca.cert.get()));
  ASSERT_OK_AND_ASSIGN(SecretString key_pem, crypto::PrivateKeyToPem(ca.key.get()));
  ASSERT_OK_AND_ASSIGN(CertificateAuthority loaded,
                       LoadCertificateAuthority(cert_pem, key_pem.Reveal()));
  EXPECT_EQ(X509_cmp(loaded.cert.get(), ca.cert.get()), 0);

  ASSERT_OK_AND_ASSIGN(CertificateAuthority other, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(SecretString other_key, crypto::PrivateKeyToPem(other.key.get()));
  EXPECT_THAT(LoadCertificateAuthority(cert_pem, other_key.Reveal()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));

  ASSERT_OK_AND_ASSIGN(IssuedCertificate leaf, IssueCertificate(ca, ServiceLeaf("x"), kNow));
  EXPECT_THAT(LoadCertificateAuthority(leaf.cert_pem, leaf.key_pem.Reveal()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a CA")));
}

TEST(X509CaTest, IssuesForAnExternalPublicKey) {
  ASSERT_OK_AND_ASSIGN(CertificateAuthority ca, CreateCertificateAuthority({}, kNow));
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr key, crypto::GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(std::string pem,
                       IssueCertificateForKey(ca, key.get(), ServiceLeaf("worker"), kNow));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, ParseCertificatePem(pem));
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

}  // namespace
}  // namespace jit::pki
