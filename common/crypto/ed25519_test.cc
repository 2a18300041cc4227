#include "common/crypto/ed25519.h"

#include "absl/strings/escaping.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

struct Rfc8032Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1 and TEST 2.
constexpr Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
     "1cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613"
     "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
};

TEST(Ed25519Test, Rfc8032Vectors) {
  for (const auto& v : kVectors) {
    const SecretString seed(absl::HexStringToBytes(v.seed));
    const std::string message = absl::HexStringToBytes(v.message);
    ASSERT_OK_AND_ASSIGN(std::string pk, Ed25519PublicKeyFromSeed(seed));
    EXPECT_EQ(absl::BytesToHexString(pk), v.public_key);
    ASSERT_OK_AND_ASSIGN(auto signer, Ed25519Signer::Create(seed));
    ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign(message));
    EXPECT_EQ(absl::BytesToHexString(sig), v.signature);
    ASSERT_OK_AND_ASSIGN(auto verifier, Ed25519Verifier::Create(pk));
    EXPECT_THAT(verifier->Verify(sig, message), IsOk());
  }
}

TEST(Ed25519Test, RejectsTamperedMessageAndSignature) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519Signer::Create(seed));
  ASSERT_OK_AND_ASSIGN(auto verifier, Ed25519Verifier::Create(signer->public_key()));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("payload"));
  EXPECT_THAT(verifier->Verify(sig, "payload"), IsOk());
  EXPECT_THAT(verifier->Verify(sig, "payloaD"), StatusIs(absl::StatusCode::kInvalidArgument));
  sig[10] ^= 1;
  EXPECT_THAT(verifier->Verify(sig, "payload"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(verifier->Verify(sig.substr(0, 63), "payload"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519Test, RejectsOtherKey) {
  ASSERT_OK_AND_ASSIGN(SecretString seed_a, GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(SecretString seed_b, GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(auto signer_a, Ed25519Signer::Create(seed_a));
  ASSERT_OK_AND_ASSIGN(std::string pk_b, Ed25519PublicKeyFromSeed(seed_b));
  ASSERT_OK_AND_ASSIGN(auto verifier_b, Ed25519Verifier::Create(pk_b));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer_a->Sign("m"));
  EXPECT_THAT(verifier_b->Verify(sig, "m"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519Test, FactoriesRejectWrongKeySizes) {
  EXPECT_THAT(Ed25519Signer::Create(SecretString(std::string(31, 'k'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Ed25519Verifier::Create(std::string(33, 'k')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::crypto
