#include "common/pki/der.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <string>

#include "gtest/gtest.h"

namespace jit::pki::der {
namespace {

TEST(DerTest, LengthsUseTheShortestForm) {
  EXPECT_EQ(Tlv(kOctetString, std::string(5, 'a')).substr(0, 2), std::string("\x04\x05", 2));
  EXPECT_EQ(Tlv(kOctetString, std::string(127, 'a')).substr(0, 2), std::string("\x04\x7f", 2));
  EXPECT_EQ(Tlv(kOctetString, std::string(128, 'a')).substr(0, 3), std::string("\x04\x81\x80", 3));
  EXPECT_EQ(Tlv(kOctetString, std::string(300, 'a')).substr(0, 4),
            std::string("\x04\x82\x01\x2c", 4));
}

TEST(DerTest, UnsignedIntegersAreMinimalAndPositive) {
  EXPECT_EQ(UnsignedInteger(std::string("\x00\x00\x05", 3)), std::string("\x02\x01\x05", 3));
  EXPECT_EQ(UnsignedInteger("\x80"), std::string("\x02\x02\x00\x80", 4));
  EXPECT_EQ(UnsignedInteger(""), std::string("\x02\x01\x00", 3));
}

TEST(DerTest, OidsMatchOpenSsl) {
  EXPECT_EQ(Oid(NID_commonName), std::string("\x06\x03\x55\x04\x03", 5));
  const std::string big = OidFromText("2.25.147301519068242432030457526801913626952");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(big.data());
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(big.size()));  // NOLINT
  ASSERT_NE(obj, nullptr);
  char text[128];
  OBJ_obj2txt(text, sizeof(text), obj, 1);
  EXPECT_STREQ(text, "2.25.147301519068242432030457526801913626952");
  ASN1_OBJECT_free(obj);
}

TEST(DerTest, TimesAreUtcTimeUntil2049ThenGeneralized) {
  EXPECT_EQ(Time(absl::FromUnixSeconds(1700000000)), Tlv(kUtcTime, "231114221320Z"));
  EXPECT_EQ(Time(absl::FromCivil(absl::CivilSecond(2049, 12, 31, 23, 59, 59), absl::UTCTimeZone())),
            Tlv(kUtcTime, "491231235959Z"));
  EXPECT_EQ(Time(absl::FromCivil(absl::CivilSecond(2050, 1, 1, 0, 0, 0), absl::UTCTimeZone())),
            Tlv(kGeneralizedTime, "20500101000000Z"));
}

TEST(DerTest, Utf8ValidationIsStrict) {
  EXPECT_TRUE(IsValidUtf8("alice"));
  EXPECT_TRUE(IsValidUtf8("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x94\x91"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\x80"));             // stray continuation
}

}  // namespace
}  // namespace jit::pki::der
