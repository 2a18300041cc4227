#include "common/crypto/random.h"

#include "absl/container/flat_hash_set.h"
#include "common/crypto/base64.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

TEST(RandomTest, ReturnsRequestedLength) {
  ASSERT_OK_AND_ASSIGN(std::string a, RandomBytes(0));
  EXPECT_TRUE(a.empty());
  ASSERT_OK_AND_ASSIGN(std::string b, RandomBytes(33));
  EXPECT_EQ(b.size(), 33u);
  ASSERT_OK_AND_ASSIGN(SecretString s, RandomSecret(20));
  EXPECT_EQ(s.size(), 20u);
}

TEST(RandomTest, TokensAreDistinctAndBase64Url) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string t, RandomToken());
    EXPECT_EQ(t.size(), 43u);
    ASSERT_OK_AND_ASSIGN(std::string raw, Base64UrlDecode(t));
    EXPECT_EQ(raw.size(), 32u);
    EXPECT_TRUE(seen.insert(t).second);
  }
}

}  // namespace
}  // namespace jit::crypto
