#include "common/ssh/signature.h"

#include <memory>
#include <string>

#include "common/crypto/ca_signer.h"
#include "common/ssh/wire.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

std::unique_ptr<CaSshSigner> NewSigner(crypto::CaKeyAlgorithm algorithm) {
  auto pem = crypto::GenerateCaPrivateKey(algorithm);
  EXPECT_TRUE(pem.ok()) << pem.status();
  auto ca = crypto::CaSigner::Create(*pem);
  EXPECT_TRUE(ca.ok()) << ca.status();
  auto signer = CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(*std::move(ca)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

class SshSignatureTest : public ::testing::TestWithParam<crypto::CaKeyAlgorithm> {};

TEST_P(SshSignatureTest, SignatureBlobVerifiesUnderTheCaKey) {
  auto signer = NewSigner(GetParam());
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("data to sign"));
  EXPECT_OK(VerifySshSignature(signer->public_key(), sig, "data to sign"));
  EXPECT_THAT(VerifySshSignature(signer->public_key(), sig, "data to sigN"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not verify")));
  auto other = NewSigner(GetParam());
  EXPECT_THAT(VerifySshSignature(other->public_key(), sig, "data to sign"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(SshSignatureTest, BlobNamesTheAlgorithmOpenSshExpects) {
  auto signer = NewSigner(GetParam());
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("x"));
  SshReader r(sig);
  ASSERT_OK_AND_ASSIGN(std::string_view algorithm, r.ReadString("algorithm"));
  switch (GetParam()) {
    case crypto::CaKeyAlgorithm::kEd25519:
      EXPECT_EQ(algorithm, "ssh-ed25519");
      EXPECT_EQ(signer->public_key().type(), SshKeyType::kEd25519);
      break;
    case crypto::CaKeyAlgorithm::kEcdsaP256:
      EXPECT_EQ(algorithm, "ecdsa-sha2-nistp256");
      EXPECT_EQ(signer->public_key().type(), SshKeyType::kEcdsaP256);
      break;
    case crypto::CaKeyAlgorithm::kRsa:
      EXPECT_EQ(algorithm, "rsa-sha2-512");
      EXPECT_EQ(signer->public_key().type(), SshKeyType::kRsa);
      EXPECT_EQ(signer->public_key().bits(), 3072);
      break;
  }
}

TEST_P(SshSignatureTest, TruncatedOrExtendedBlobsAreRefused) {
  auto signer = NewSigner(GetParam());
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("x"));
  EXPECT_THAT(VerifySshSignature(signer->public_key(), sig + "z", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t n = 0; n < sig.size(); n += 7) {
    EXPECT_THAT(VerifySshSignature(signer->public_key(), sig.substr(0, n), "x"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, SshSignatureTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

TEST(SshSignatureTest, AlgorithmOfAnotherKeyTypeIsRefused) {
  auto ed = NewSigner(crypto::CaKeyAlgorithm::kEd25519);
  auto ec = NewSigner(crypto::CaKeyAlgorithm::kEcdsaP256);
  ASSERT_OK_AND_ASSIGN(std::string sig, ed->Sign("x"));
  EXPECT_THAT(VerifySshSignature(ec->public_key(), sig, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

TEST(SshSignatureTest, Sha1RsaSignaturesAreRefused) {
  auto rsa = NewSigner(crypto::CaKeyAlgorithm::kRsa);
  ASSERT_OK_AND_ASSIGN(std::string sig, rsa->Sign("x"));
  SshReader r(sig);
  ASSERT_OK(r.ReadString("algorithm").status());
  ASSERT_OK_AND_ASSIGN(std::string_view raw, r.ReadString("signature"));
  SshWriter w;
  w.PutString("ssh-rsa");
  w.PutString(raw);
  EXPECT_THAT(VerifySshSignature(rsa->public_key(), w.view(), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SHA-1")));
}

}  // namespace
}  // namespace jit::ssh
