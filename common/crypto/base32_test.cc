#include "common/crypto/base32.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::StatusIs;

TEST(Base32Test, Rfc4648VectorsWithoutPadding) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base32Encode(plain), encoded);
    ASSERT_OK_AND_ASSIGN(std::string back, Base32Decode(encoded));
    EXPECT_EQ(back, plain);
  }
}

TEST(Base32Test, DecodeAcceptsPaddingLowerCaseAndSpaces) {
  ASSERT_OK_AND_ASSIGN(std::string a, Base32Decode("MZXW6YQ="));
  EXPECT_EQ(a, "foob");
  ASSERT_OK_AND_ASSIGN(std::string b, Base32Decode("mzxw 6ytb oi"));
  EXPECT_EQ(b, "foobar");
}

TEST(Base32Test, RejectsInvalidInput) {
  EXPECT_THAT(Base32Decode("MZXW1"), StatusIs(absl::StatusCode::kInvalidArgument));  // '1'
  EXPECT_THAT(Base32Decode("MZX"), StatusIs(absl::StatusCode::kInvalidArgument));    // length
  EXPECT_THAT(Base32Decode("MY"), ::jit::testing::IsOk());
  EXPECT_THAT(Base32Decode("MZ"), StatusIs(absl::StatusCode::kInvalidArgument));  // stray bits
  EXPECT_THAT(Base32Decode("MB"), StatusIs(absl::StatusCode::kInvalidArgument));  // stray bits
}

}  // namespace
}  // namespace jit::crypto
