#include "common/crypto/digest.h"

#include "absl/strings/escaping.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(absl::BytesToHexString(Sha256String("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(absl::BytesToHexString(Sha256String("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const Sha256Digest d = Sha256("abc");
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[31], 0xad);
}

TEST(HmacTest, Rfc2202Sha1Case2) {
  ASSERT_OK_AND_ASSIGN(std::string mac, HmacSha1("Jefe", "what do ya want for nothing?"));
  EXPECT_EQ(absl::BytesToHexString(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacTest, Rfc4231Sha256Case2) {
  ASSERT_OK_AND_ASSIGN(std::string mac, HmacSha256("Jefe", "what do ya want for nothing?"));
  EXPECT_EQ(absl::BytesToHexString(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace jit::crypto
