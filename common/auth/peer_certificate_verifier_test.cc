#include "common/auth/peer_certificate_verifier.h"

#include "common/clock.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class PeerCertificateVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = *pki::CreateCertificateAuthority({}, clock_.Now());
    verifier_ = *PeerCertificateVerifier::Create(*pki::CertificateToPem(ca_.cert.get()), &clock_);
  }
  std::string Leaf(const pki::CertificateAuthority& ca, std::vector<std::string> uris,
                   absl::Duration validity = absl::Hours(24)) {
    return pki::IssueCertificate(ca,
                                 {.common_name = "x",
                                  .uri_sans = std::move(uris),
                                  .dns_sans = {"localhost"},
                                  .validity = validity},
                                 clock_.Now())
        ->cert_pem;
  }

  FakeClock clock_;
  pki::CertificateAuthority ca_;
  std::unique_ptr<PeerCertificateVerifier> verifier_;
};

TEST_F(PeerCertificateVerifierTest, ServiceCertificateNamesTheService) {
  ASSERT_OK_AND_ASSIGN(PeerIdentity peer,
                       verifier_->Verify(Leaf(ca_, {"spiffe://jit-access/service/ca"})));
  EXPECT_EQ(peer.id.kind, SpiffeId::Kind::kService);
  EXPECT_EQ(peer.id.name, "ca");
  EXPECT_EQ(peer.spiffe_uri, "spiffe://jit-access/service/ca");
  EXPECT_EQ(peer.not_after, clock_.Now() + absl::Hours(24));
}

TEST_F(PeerCertificateVerifierTest, ForeignCaIsRefused) {
  pki::CertificateAuthority rogue = *pki::CreateCertificateAuthority({}, clock_.Now());
  EXPECT_THAT(verifier_->Verify(Leaf(rogue, {"spiffe://jit-access/service/ca"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("rejected")));
}

TEST_F(PeerCertificateVerifierTest, ExpiredCertificateIsRefusedEvenAfterCaching) {
  const std::string pem = Leaf(ca_, {"spiffe://jit-access/service/ca"}, absl::Hours(1));
  ASSERT_THAT(verifier_->Verify(pem), ::jit::testing::IsOk());
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(verifier_->Verify(pem),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(PeerCertificateVerifierTest, NeedsExactlyOneJitSpiffeId) {
  EXPECT_THAT(verifier_->Verify(Leaf(ca_, {"spiffe://other/service/ca"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exactly one")));
  EXPECT_THAT(verifier_->Verify(Leaf(
                  ca_, {"spiffe://jit-access/service/ca", "spiffe://jit-access/service/audit"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exactly one")));
  EXPECT_THAT(verifier_->Verify(""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->Verify("garbage"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PeerCertificateVerifierTest, BundleMustHoldCas) {
  EXPECT_THAT(PeerCertificateVerifier::Create("", &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      PeerCertificateVerifier::Create(Leaf(ca_, {"spiffe://jit-access/service/x"}), &clock_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a CA")));
}

TEST_F(PeerCertificateVerifierTest, BundleWithTwoCasAcceptsBoth) {
  pki::CertificateAuthority next = *pki::CreateCertificateAuthority({}, clock_.Now());
  auto both = *PeerCertificateVerifier::Create(
      *pki::CertificateToPem(ca_.cert.get()) + *pki::CertificateToPem(next.cert.get()), &clock_);
  EXPECT_THAT(both->Verify(Leaf(ca_, {"spiffe://jit-access/service/a"})), ::jit::testing::IsOk());
  EXPECT_THAT(both->Verify(Leaf(next, {"spiffe://jit-access/service/b"})), ::jit::testing::IsOk());
}

}  // namespace
}  // namespace jit::auth
