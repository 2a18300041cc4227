#include "common/crypto/rsa.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

TEST(RsaTest, SignsAndVerifiesThroughModulusAndExponent) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateRsaKey(2048));
  ASSERT_OK_AND_ASSIGN(RsaPublicNumbers numbers, RsaPublicNumbersOf(key.get()));
  EXPECT_EQ(numbers.n.size(), 256u);
  EXPECT_EQ(numbers.e, std::string("\x01\x00\x01", 3));
  ASSERT_OK_AND_ASSIGN(auto signer, RsaSsaPkcs1Sha256Signer::Create(std::move(key)));
  ASSERT_OK_AND_ASSIGN(auto verifier,
                       RsaSsaPkcs1Sha256Verifier::FromModulusExponent(numbers.n, numbers.e));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("message"));
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_THAT(verifier->Verify(sig, "message"), IsOk());
  EXPECT_THAT(verifier->Verify(sig, "messagE"), StatusIs(absl::StatusCode::kInvalidArgument));
  sig[100] ^= 1;
  EXPECT_THAT(verifier->Verify(sig, "message"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RsaTest, RefusesShortKeys) {
  EvpPkeyPtr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  ASSERT_NE(small, nullptr);
  ASSERT_OK_AND_ASSIGN(RsaPublicNumbers n, [&]() -> absl::StatusOr<RsaPublicNumbers> {
    // RsaPublicNumbersOf refuses short keys too; read them directly.
    BIGNUM* bn_n = nullptr;
    BIGNUM* bn_e = nullptr;
    EVP_PKEY_get_bn_param(small.get(), "n", &bn_n);
    EVP_PKEY_get_bn_param(small.get(), "e", &bn_e);
    RsaPublicNumbers out;
    out.n.resize(BN_num_bytes(bn_n));
    out.e.resize(BN_num_bytes(bn_e));
    BN_bn2bin(bn_n, reinterpret_cast<unsigned char*>(out.n.data()));
    BN_bn2bin(bn_e, reinterpret_cast<unsigned char*>(out.e.data()));
    BN_free(bn_n);
    BN_free(bn_e);
    return out;
  }());
  EXPECT_THAT(RsaSsaPkcs1Sha256Verifier::FromModulusExponent(n.n, n.e),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RsaSsaPkcs1Sha256Signer::Create(std::move(small)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RsaTest, RejectsEvenExponentAndOtherKeyTypes) {
  EXPECT_THAT(RsaSsaPkcs1Sha256Verifier::FromModulusExponent(std::string(256, '\xff'), "\x02"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr ec, GenerateP256Key());
  EXPECT_THAT(RsaSsaPkcs1Sha256Verifier::Create(std::move(ec)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::crypto
