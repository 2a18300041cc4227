#include "common/crypto/ca_signer.h"

#include <openssl/rsa.h>

#include "common/crypto/ecdsa_p256.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/openssl_util.h"
#include "common/crypto/rsa.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status VerifyRsaSha512(EVP_PKEY* key, std::string_view sig, std::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha512(), nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("init");
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("bad");
  }
  return absl::OkStatus();
}

EvpPkeyPtr PublicHalf(EVP_PKEY* key) { return *ParsePublicKeyPem(*PublicKeyToPem(key)); }

TEST(CaSignerTest, Ed25519SignaturesVerifyWithTheRawPublicKey) {
  ASSERT_OK_AND_ASSIGN(SecretString pem, GenerateCaPrivateKey(CaKeyAlgorithm::kEd25519));
  ASSERT_OK_AND_ASSIGN(auto signer, CaSigner::Create(pem));
  EXPECT_EQ(signer->algorithm(), CaKeyAlgorithm::kEd25519);
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("certificate body"));
  EXPECT_EQ(sig.size(), 64u);
  std::string pk(32, '\0');
  size_t len = pk.size();
  ASSERT_EQ(
      EVP_PKEY_get_raw_public_key(signer->key(), reinterpret_cast<unsigned char*>(pk.data()), &len),
      1);
  ASSERT_OK_AND_ASSIGN(auto verifier, Ed25519Verifier::Create(pk));
  EXPECT_OK(verifier->Verify(sig, "certificate body"));
  EXPECT_THAT(verifier->Verify(sig, "another body"), Not(jit::testing::IsOk()));
}

TEST(CaSignerTest, EcdsaSignaturesAreP1363OverSha256) {
  ASSERT_OK_AND_ASSIGN(SecretString pem, GenerateCaPrivateKey(CaKeyAlgorithm::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(auto signer, CaSigner::Create(pem));
  EXPECT_EQ(signer->algorithm(), CaKeyAlgorithm::kEcdsaP256);
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("body"));
  EXPECT_EQ(sig.size(), 64u);
  ASSERT_OK_AND_ASSIGN(
      auto verifier,
      EcdsaP256Verifier::Create(PublicHalf(signer->key()), EcdsaSignatureEncoding::kIeeeP1363));
  EXPECT_OK(verifier->Verify(sig, "body"));
  EXPECT_THAT(verifier->Verify(sig, "bodY"), Not(jit::testing::IsOk()));
}

TEST(CaSignerTest, RsaSignaturesArePkcs1OverSha512) {
  ASSERT_OK_AND_ASSIGN(SecretString pem, GenerateCaPrivateKey(CaKeyAlgorithm::kRsa, 3072));
  ASSERT_OK_AND_ASSIGN(auto signer, CaSigner::Create(pem));
  EXPECT_EQ(signer->algorithm(), CaKeyAlgorithm::kRsa);
  EXPECT_EQ(EVP_PKEY_get_bits(signer->key()), 3072);
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("body"));
  EXPECT_EQ(sig.size(), 384u);
  EXPECT_OK(VerifyRsaSha512(signer->key(), sig, "body"));
  EXPECT_THAT(VerifyRsaSha512(signer->key(), sig, "b0dy"), Not(jit::testing::IsOk()));
}

TEST(CaSignerTest, RsaShorterThan3072BitsIsRefused) {
  EXPECT_THAT(GenerateCaPrivateKey(CaKeyAlgorithm::kRsa, 2048),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3072")));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr rsa2048, GenerateRsaKey(2048));
  ASSERT_OK_AND_ASSIGN(SecretString pem, PrivateKeyToPem(rsa2048.get()));
  EXPECT_THAT(CaSigner::Create(pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 2048")));
}

TEST(CaSignerTest, OtherCurvesAreRefused) {
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_NE(p384, nullptr);
  ASSERT_OK_AND_ASSIGN(SecretString pem, PrivateKeyToPem(p384.get()));
  EXPECT_THAT(CaSigner::Create(pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("P-256")));
}

TEST(CaSignerTest, GarbageIsRefusedWithoutEchoingIt) {
  const SecretString garbage(std::string("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"));
  auto signer = CaSigner::Create(garbage);
  EXPECT_THAT(signer, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(signer.status().message()), Not(HasSubstr("c2VjcmV0")));
}

TEST(CaSignerTest, AlgorithmNamesRoundTrip) {
  for (CaKeyAlgorithm a :
       {CaKeyAlgorithm::kEd25519, CaKeyAlgorithm::kEcdsaP256, CaKeyAlgorithm::kRsa}) {
    EXPECT_THAT(ParseCaKeyAlgorithm(CaKeyAlgorithmName(a)), IsOkAndHolds(a));
  }
  EXPECT_THAT(ParseCaKeyAlgorithm("dsa"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CaSignerTest, TheStoredFormIsPkcs8Pem) {
  ASSERT_OK_AND_ASSIGN(SecretString pem, GenerateCaPrivateKey(CaKeyAlgorithm::kEd25519));
  EXPECT_EQ(pem.Reveal().substr(0, 27), "-----BEGIN PRIVATE KEY-----");
}

}  // namespace
}  // namespace jit::crypto
