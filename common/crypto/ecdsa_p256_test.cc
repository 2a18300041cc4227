#include "common/crypto/ecdsa_p256.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

EvpPkeyPtr PublicOnly(EVP_PKEY* key) {
  auto pem = PublicKeyToPem(key);
  return *ParsePublicKeyPem(*pem);
}

TEST(EcdsaP256Test, SignsAndVerifiesInBothEncodings) {
  for (auto enc : {EcdsaSignatureEncoding::kIeeeP1363, EcdsaSignatureEncoding::kDer}) {
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
    EvpPkeyPtr pub = PublicOnly(key.get());
    ASSERT_OK_AND_ASSIGN(auto signer, EcdsaP256Signer::Create(std::move(key), enc));
    ASSERT_OK_AND_ASSIGN(auto verifier, EcdsaP256Verifier::Create(std::move(pub), enc));
    ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("data"));
    if (enc == EcdsaSignatureEncoding::kIeeeP1363) {
      EXPECT_EQ(sig.size(), 64u);
    }
    EXPECT_THAT(verifier->Verify(sig, "data"), IsOk());
    EXPECT_THAT(verifier->Verify(sig, "dat4"), StatusIs(absl::StatusCode::kInvalidArgument));
    sig[5] ^= 0x40;
    EXPECT_THAT(verifier->Verify(sig, "data"), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(EcdsaP256Test, P1363RejectsWrongLengthAndZero) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(
      auto verifier,
      EcdsaP256Verifier::Create(PublicOnly(key.get()), EcdsaSignatureEncoding::kIeeeP1363));
  EXPECT_THAT(verifier->Verify(std::string(63, '\1'), "d"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(verifier->Verify(std::string(64, '\0'), "d"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EcdsaP256Test, CoordinatesRoundTrip) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(EcPoint point, P256PublicCoordinates(key.get()));
  EXPECT_EQ(point.x.size(), 32u);
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pub, P256PublicKeyFromCoordinates(point.x, point.y));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), pub.get()), 1);
}

TEST(EcdsaP256Test, RejectsPointOffCurve) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(EcPoint point, P256PublicCoordinates(key.get()));
  point.y[31] ^= 1;
  EXPECT_THAT(
      EcdsaP256Verifier::FromCoordinates(point.x, point.y, EcdsaSignatureEncoding::kIeeeP1363),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(P256PublicKeyFromCoordinates("short", point.y),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EcdsaP256Test, RejectsOtherCurvesAndKeyTypes) {
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_NE(p384, nullptr);
  EXPECT_THAT(EcdsaP256Signer::Create(std::move(p384), EcdsaSignatureEncoding::kDer),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_THAT(EcdsaP256Verifier::Create(std::move(ed), EcdsaSignatureEncoding::kDer),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EcdsaP256Test, SignerNeedsPrivateKey) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  EXPECT_THAT(EcdsaP256Signer::Create(PublicOnly(key.get()), EcdsaSignatureEncoding::kIeeeP1363),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::crypto
