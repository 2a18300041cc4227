#include "common/crypto/key_encryption.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/crypto/base64.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/" + name;
}

std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) {
  const std::string path = TempPath(name);
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(KeyEncryptionKeyTest, SealThenOpenRoundTrips) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("seed bytes", "signing_key:k1"));
  EXPECT_THAT(sealed, Not(HasSubstr("seed bytes")));
  ASSERT_OK_AND_ASSIGN(SecretString plain, kek->Open(sealed, "signing_key:k1"));
  EXPECT_EQ(plain.Reveal(), "seed bytes");
}

TEST(KeyEncryptionKeyTest, SealingTwiceGivesDifferentCiphertexts) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string a, kek->Seal("same", "ad"));
  ASSERT_OK_AND_ASSIGN(std::string b, kek->Seal("same", "ad"));
  EXPECT_NE(a, b);
}

TEST(KeyEncryptionKeyTest, OtherAssociatedDataIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("secret", "totp:alice"));
  EXPECT_THAT(kek->Open(sealed, "totp:mallory"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyEncryptionKeyTest, AlteredCiphertextIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("secret", "ad"));
  sealed.back() ^= 1;
  EXPECT_THAT(kek->Open(sealed, "ad"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(kek->Open("short", "ad"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyEncryptionKeyTest, AnotherKekIsNamedAsSuch) {
  ASSERT_OK_AND_ASSIGN(auto a, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(auto b, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, a->Seal("secret", "ad"));
  EXPECT_THAT(b->Open(sealed, "ad"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("another key-encryption key")));
}

TEST(KeyEncryptionKeyTest, ReadsBase64KeyFile) {
  const std::string raw(32, '\x07');
  const std::string path = WriteFile("kek-good", crypto::Base64Encode(raw) + "\n", 0600);
  ASSERT_OK_AND_ASSIGN(auto from_file, KeyEncryptionKey::FromFile(path));
  ASSERT_OK_AND_ASSIGN(auto from_bytes, KeyEncryptionKey::FromBytes(SecretString(raw)));
  EXPECT_EQ(from_file->id_hex(), from_bytes->id_hex());
  ASSERT_OK_AND_ASSIGN(std::string sealed, from_bytes->Seal("x", "ad"));
  EXPECT_THAT(from_file->Open(sealed, "ad"), IsOk());
}

TEST(KeyEncryptionKeyTest, KeyFileOfWrongLengthIsInvalidArgument) {
  const std::string path = WriteFile("kek-short", crypto::Base64Encode("short"), 0600);
  EXPECT_THAT(KeyEncryptionKey::FromFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64 of 32")));
  const std::string junk = WriteFile("kek-junk", "not base64 at all!", 0600);
  EXPECT_THAT(KeyEncryptionKey::FromFile(junk), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyEncryptionKeyTest, KeyFileReadableByOthersIsRefused) {
  const std::string path = WriteFile("kek-open", crypto::Base64Encode(std::string(32, 'k')), 0644);
  EXPECT_THAT(KeyEncryptionKey::FromFile(path), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(KeyEncryptionKeyTest, RawKeyOfWrongLengthIsInvalidArgument) {
  EXPECT_THAT(KeyEncryptionKey::FromBytes(SecretString(std::string(31, 'k'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::crypto
