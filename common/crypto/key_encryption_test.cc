#include "common/crypto/key_encryption.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
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

// A version-1 value as the code before AES-256-GCM sealed it: 0x01 | KEK id | 24-byte nonce |
// XChaCha20-Poly1305 (libsodium), built here independently of the code under test.
std::string SealVersion1(const KeyEncryptionKey& kek, std::string_view plaintext,
                         std::string_view ad) {
  std::string out(1, '\x01');
  out.append(absl::HexStringToBytes(kek.id_hex()));
  std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  out.append(nonce);
  std::string body(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(body.data()), &n,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()),
      reinterpret_cast<const unsigned char*>(kek.key().Reveal().data()));
  out.append(body.substr(0, n));
  return out;
}

TEST(KeyEncryptionKeyTest, SealsVersion2WithAes256Gcm) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("0123456789", "ad"));
  ASSERT_EQ(sealed.size(), 1u + 8 + 12 + 10 + 16);
  EXPECT_EQ(sealed[0], '\x02');
  EXPECT_FALSE(KeyEncryptionKey::IsLegacy(sealed));
  EXPECT_EQ(absl::BytesToHexString(sealed.substr(1, 8)), kek->id_hex());

  // Independent check with OpenSSL's command line: AES-256-GCM under the KEK, nonce from the
  // header. (The header and the associated data are authenticated; decrypting the body
  // without checking the tag must give the plaintext back.)
  const std::string key_hex = absl::BytesToHexString(std::string(kek->key().Reveal()));
  const std::string iv_hex = absl::BytesToHexString(sealed.substr(9, 12));
  const std::string body_path = TempPath("gcm-body");
  std::ofstream(body_path, std::ios::binary) << sealed.substr(21, 10);
  // aes-256-ctr with counter block = nonce || 00000002 is GCM's keystream for the first block.
  const std::string cmd = "openssl enc -d -aes-256-ctr -K " + key_hex + " -iv " + iv_hex +
                          "00000002 -in " + body_path + " -out " + body_path + ".out";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(body_path + ".out", std::ios::binary);
  std::string plain((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(plain, "0123456789");
}

TEST(KeyEncryptionKeyTest, OpensVersion1Values) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  const std::string v1 = SealVersion1(*kek, "old secret", "ca_key:k1");
  EXPECT_TRUE(KeyEncryptionKey::IsLegacy(v1));
  ASSERT_OK_AND_ASSIGN(SecretString plain, kek->Open(v1, "ca_key:k1"));
  EXPECT_EQ(plain.Reveal(), "old secret");
  EXPECT_THAT(kek->Open(v1, "ca_key:k2"), StatusIs(absl::StatusCode::kDataLoss));
  std::string altered = v1;
  altered.back() ^= 1;
  EXPECT_THAT(kek->Open(altered, "ca_key:k1"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyEncryptionKeyTest, HeaderIsAuthenticated) {
  ASSERT_OK_AND_ASSIGN(auto kek, KeyEncryptionKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek->Seal("secret", "ad"));
  std::string nonce_changed = sealed;
  nonce_changed[12] ^= 1;
  EXPECT_THAT(kek->Open(nonce_changed, "ad"), StatusIs(absl::StatusCode::kDataLoss));
  std::string downgraded = sealed;
  downgraded[0] = '\x01';
  EXPECT_THAT(kek->Open(downgraded, "ad"), StatusIs(absl::StatusCode::kDataLoss));
  std::string unknown_version = sealed;
  unknown_version[0] = '\x03';
  EXPECT_THAT(kek->Open(unknown_version, "ad"), StatusIs(absl::StatusCode::kDataLoss));
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
