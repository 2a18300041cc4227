#include "common/ssh/private_key.h"

#include <string>

#include "absl/strings/str_split.h"
#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/ssh/wire.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Re-armours raw openssh-key-v1 bytes.
SecretString Armour(std::string_view raw) {
  return SecretString("-----BEGIN OPENSSH PRIVATE KEY-----\n" + crypto::Base64Encode(raw) +
                      "\n-----END OPENSSH PRIVATE KEY-----\n");
}

std::string Unarmour(const SecretString& file) {
  std::string b64;
  for (absl::string_view line : absl::StrSplit(std::string(file.Reveal()), '\n')) {
    if (!line.empty() && line[0] != '-') b64.append(line.data(), line.size());
  }
  return *crypto::Base64Decode(b64);
}

TEST(OpenSshPrivateKeyTest, RoundTripsSeedPublicKeyAndComment) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(SecretString file, EncodeOpenSshEd25519PrivateKey(seed, "alice@laptop"));
  ASSERT_OK_AND_ASSIGN(OpenSshEd25519PrivateKey key, ParseOpenSshEd25519PrivateKey(file));
  EXPECT_EQ(key.seed.Reveal(), seed.Reveal());
  EXPECT_EQ(key.comment, "alice@laptop");
  ASSERT_OK_AND_ASSIGN(std::string pk, crypto::Ed25519PublicKeyFromSeed(seed));
  EXPECT_EQ(key.public_key, *SshPublicKey::FromEd25519(pk));
}

TEST(OpenSshPrivateKeyTest, ArmourAndLineWidthAreOpenSshs) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(SecretString file, EncodeOpenSshEd25519PrivateKey(seed));
  const std::string text(file.Reveal());
  EXPECT_THAT(text, StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[1].size(), 70u);
  EXPECT_EQ(lines[lines.size() - 2], "-----END OPENSSH PRIVATE KEY-----");
  EXPECT_EQ(lines.back(), "");
  // The private section is padded to 8 bytes with 1, 2, 3, ...
  const std::string raw = Unarmour(file);
  EXPECT_EQ(raw.substr(0, 15), std::string("openssh-key-v1\0", 15));
}

TEST(OpenSshPrivateKeyTest, SeedOfWrongSizeIsRefused) {
  EXPECT_THAT(EncodeOpenSshEd25519PrivateKey(SecretString(std::string(31, 'k'))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
}

TEST(OpenSshPrivateKeyTest, MultiLineCommentIsRefused) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  EXPECT_THAT(EncodeOpenSshEd25519PrivateKey(seed, "a\nb"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenSshPrivateKeyTest, EncryptedKeysAreRefused) {
  SshWriter w;
  w.PutRaw(std::string_view("openssh-key-v1\0", 15));
  w.PutString("aes256-ctr");
  w.PutString("bcrypt");
  w.PutString("salt");
  w.PutU32(1);
  EXPECT_THAT(ParseOpenSshEd25519PrivateKey(Armour(w.view())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("encrypted")));
}

TEST(OpenSshPrivateKeyTest, TamperedFilesAreRefused) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(SecretString file, EncodeOpenSshEd25519PrivateKey(seed, "c"));
  const std::string raw = Unarmour(file);
  // Flipping any bit of the file is caught (magic, framing, check values, public halves,
  // seed/public mismatch, padding), except in the comment's own byte.
  const size_t comment_at = raw.rfind(std::string("\0\0\0\x01"
                                                  "c",
                                                  5)) +
                            4;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i == comment_at) continue;
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_THAT(ParseOpenSshEd25519PrivateKey(Armour(bad)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "byte " << i;
  }
  EXPECT_THAT(ParseOpenSshEd25519PrivateKey(Armour(raw + "x")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseOpenSshEd25519PrivateKey(SecretString(std::string("ssh-ed25519 AAAA"))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an OpenSSH")));
}

}  // namespace
}  // namespace jit::ssh
