#include "common/crypto/base64.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::StatusIs;

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    ASSERT_OK_AND_ASSIGN(std::string back, Base64Decode(encoded));
    EXPECT_EQ(back, plain);
  }
}

TEST(Base64Test, UnpaddedForm) {
  EXPECT_EQ(Base64Encode("fo", Base64Padding::kWithout), "Zm8");
  ASSERT_OK_AND_ASSIGN(std::string back, Base64Decode("Zm8", Base64Padding::kWithout));
  EXPECT_EQ(back, "fo");
  EXPECT_THAT(Base64Decode("Zm8=", Base64Padding::kWithout),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64Test, PaddedFormRequiresPadding) {
  EXPECT_THAT(Base64Decode("Zm8"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64Decode("Zg=a"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64UrlTest, UsesUrlAlphabetWithoutPadding) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(Base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(Base64Encode(bytes), "+//+");
  ASSERT_OK_AND_ASSIGN(std::string back, Base64UrlDecode("-__-"));
  EXPECT_EQ(back, bytes);
}

TEST(Base64UrlTest, RejectsStandardAlphabetPaddingAndWhitespace) {
  EXPECT_THAT(Base64UrlDecode("+//+"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("Zg=="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("Zm9v Zm9v"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode(std::string("Zm\0v", 4)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  EXPECT_THAT(Base64UrlDecode("Zm9vY"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zg" is the canonical encoding of "f"; "Zh" decodes to the same byte with a stray bit.
  ASSERT_OK_AND_ASSIGN(std::string f, Base64UrlDecode("Zg"));
  EXPECT_EQ(f, "f");
  EXPECT_THAT(Base64UrlDecode("Zh"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("Zm9"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64UrlTest, RoundTripsAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    const std::string in = all.substr(0, len);
    ASSERT_OK_AND_ASSIGN(std::string back, Base64UrlDecode(Base64UrlEncode(in)));
    EXPECT_EQ(back, in);
  }
}

}  // namespace
}  // namespace jit::crypto
