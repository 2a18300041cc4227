#include "common/ssh/public_key.h"

#include <string>

#include "common/crypto/base64.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/openssl_util.h"
#include "common/ssh/wire.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// Made with ssh-keygen 9.2 (ssh-keygen -l -E sha256 printed the fingerprint).
constexpr char kEd25519Line[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHVqu6DxjQjbDVGnPPbFONxYg70Qgscm+o7zwiRQ3U6 root@vm";
constexpr char kEd25519Fingerprint[] = "SHA256:ov5fHwAMBF++mEqglsaIFuzbYayd/QYjSkOyBFmSEHQ";
constexpr char kRsa1024Line[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCobdNCLM+y6dvZiY+KoKc7jPTab07Tl5olQBlIMVUALmlrFSQonapE1"
    "x1FGm1qqmrhkyzQegnSwPYk9xg2oOmWNpzxlalP+Zt7T0BWvuGKLz7/GgcN67V0xX+do+5Rkj2Nu3ZHoIm+j6utFR1Ywo"
    "zai9h5irOiFVAaKynQ5rVI9w==";
constexpr char kDsaLine[] =
    "ssh-dss AAAAB3NzaC1kc3MAAACBAJa1yPEC3tPWHntjBLWWnPrn2WkV2DCG5vEtArcC8NLEmYN5exohJOdbOy/NySLrh"
    "x5dxm2OSPxk4LZn+OsIgjZPx8b5q+Bfmy+gh+gE58lS9mQ6pPzuGVNJYAayva7uev+juCCgX27btS7Hz3lX8GfN2XvQf1"
    "NCP3MIHthhhnz/AAAAFQDXnvf5WT6ZDWLz83X5hI1rDMRSLQAAAIBt1X2iEYtH0ZPMN8jkKZIj8a3W+mEBcJntrtmmtMz"
    "E9ifG59/wUVMisMRBYwkqV18BYTiFKnDHAAkl5MVAoITpv3mTK7odtdeigOiIQZykTB5CxRVFEi8unZtxtTOUlLuQpoDj"
    "3wsZuSoQ0JGG+4dqSDjWT2ImcioEAMStEuO+6QAAAIB+d9NRrFv8+rtjIRcd3JUCdgBkUs2xiwcQUMsg5oDyARvZibdqr"
    "If/oGAWxoXz5tvKsby1Yjj5+HBFRONuztJwT5exONCgzd9VPHDZLx4dC5H8u/cxmyQRb103Lkc6Ve1VfOdbmIWhvrM42+P"
    "shHcNa52rP4mBDD26o8+rvU5grw==";

crypto::EvpPkeyPtr NewKey(const char* type, const char* param = nullptr) {
  if (param == nullptr) return crypto::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  return crypto::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type, param));
}

std::string Wire(std::initializer_list<std::string_view> strings) {
  SshWriter w;
  for (std::string_view s : strings) w.PutString(s);
  return std::move(w).Take();
}

TEST(SshPublicKeyTest, ParsesAnOpenSshLineAndPrintsItsFingerprintAsSshKeygen) {
  std::string comment;
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromLine(kEd25519Line, {}, &comment));
  EXPECT_EQ(key.type(), SshKeyType::kEd25519);
  EXPECT_EQ(key.bits(), 256);
  EXPECT_EQ(comment, "root@vm");
  EXPECT_EQ(key.Fingerprint(), kEd25519Fingerprint);
  EXPECT_EQ(key.ToLine("root@vm"), kEd25519Line);
}

TEST(SshPublicKeyTest, EveryAcceptedTypeRoundTripsThroughOpenSsl) {
  struct Case {
    const char* type;
    const char* param;
    SshKeyType expected;
    int bits;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"ED25519", nullptr, SshKeyType::kEd25519, 256},
           {"EC", "P-256", SshKeyType::kEcdsaP256, 256},
           {"EC", "P-384", SshKeyType::kEcdsaP384, 384},
           {"EC", "P-521", SshKeyType::kEcdsaP521, 521},
       }) {
    SCOPED_TRACE(c.type);
    crypto::EvpPkeyPtr pkey = NewKey(c.type, c.param);
    ASSERT_NE(pkey, nullptr);
    ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromEvpPkey(pkey.get()));
    EXPECT_EQ(key.type(), c.expected);
    EXPECT_EQ(key.bits(), c.bits);
    ASSERT_OK_AND_ASSIGN(SshPublicKey again, SshPublicKey::FromLine(key.ToLine("x")));
    EXPECT_EQ(again, key);
    ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr back, key.ToEvpPkey());
    EXPECT_EQ(EVP_PKEY_eq(back.get(), pkey.get()), 1);
  }
  crypto::EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromEvpPkey(rsa.get()));
  EXPECT_EQ(key.type(), SshKeyType::kRsa);
  EXPECT_EQ(key.bits(), 2048);
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr back, key.ToEvpPkey());
  EXPECT_EQ(EVP_PKEY_eq(back.get(), rsa.get()), 1);
}

TEST(SshPublicKeyTest, DsaIsRefused) {
  EXPECT_THAT(SshPublicKey::FromLine(kDsaLine),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DSA keys")));
}

TEST(SshPublicKeyTest, ShortRsaIsRefused) {
  EXPECT_THAT(SshPublicKey::FromLine(kRsa1024Line),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("RSA key of 1024 bits is shorter than the minimum of 2048")));
}

TEST(SshPublicKeyTest, CaMinimumForRsaIsAnOption) {
  crypto::EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  EXPECT_THAT(SshPublicKey::FromEvpPkey(rsa.get(), {.min_rsa_bits = 3072}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("minimum of 3072")));
}

TEST(SshPublicKeyTest, UnknownTypesAreRefused) {
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"ssh-foo", "x"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key type")));
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"sk-ssh-ed25519@openssh.com", "x"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("security-key")));
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"ssh-ed25519-cert-v01@openssh.com", "x"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a public key")));
}

TEST(SshPublicKeyTest, TrailingBytesAreRefused) {
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromLine(kEd25519Line));
  EXPECT_THAT(SshPublicKey::FromWire(key.wire() + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
}

TEST(SshPublicKeyTest, EveryTruncationIsRefused) {
  crypto::EvpPkeyPtr p256 = NewKey("EC", "P-256");
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromEvpPkey(p256.get()));
  for (size_t n = 0; n < key.wire().size(); ++n) {
    EXPECT_THAT(SshPublicKey::FromWire(key.wire().substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

TEST(SshPublicKeyTest, EcdsaPointOffTheCurveIsRefused) {
  crypto::EvpPkeyPtr p256 = NewKey("EC", "P-256");
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromEvpPkey(p256.get()));
  std::string wire = key.wire();
  wire.back() = static_cast<char>(wire.back() ^ 1);  // last byte of y
  EXPECT_THAT(SshPublicKey::FromWire(wire),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a point on P-256")));
}

TEST(SshPublicKeyTest, EcdsaCurveMustMatchTheType) {
  crypto::EvpPkeyPtr p256 = NewKey("EC", "P-256");
  ASSERT_OK_AND_ASSIGN(SshPublicKey key, SshPublicKey::FromEvpPkey(p256.get()));
  SshReader r(key.wire());
  ASSERT_OK(r.ReadString("type").status());
  ASSERT_OK(r.ReadString("curve").status());
  ASSERT_OK_AND_ASSIGN(std::string_view point, r.ReadString("point"));
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"ecdsa-sha2-nistp256", "nistp384", point})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  // Compressed and infinity encodings are refused (OpenSSH writes uncompressed points).
  std::string compressed(point.substr(0, 33));
  compressed[0] = '\x02';
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"ecdsa-sha2-nistp256", "nistp256", compressed})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("uncompressed")));
  EXPECT_THAT(
      SshPublicKey::FromWire(Wire({"ecdsa-sha2-nistp256", "nistp256", std::string_view("\0", 1)})),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshPublicKeyTest, Ed25519KeyMustBe32Bytes) {
  EXPECT_THAT(SshPublicKey::FromWire(Wire({"ssh-ed25519", std::string(31, 'a')})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
}

TEST(SshPublicKeyTest, RsaWithEvenExponentIsRefused) {
  SshWriter w;
  w.PutString("ssh-rsa");
  w.PutPositiveMpint("\x02");
  std::string n(256, '\xab');
  w.PutPositiveMpint(n);
  EXPECT_THAT(SshPublicKey::FromWire(w.view()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exponent")));
}

TEST(SshPublicKeyTest, LineTypeWordMustMatchTheKey) {
  std::string line = kEd25519Line;
  line.replace(0, 11, "ssh-rsa");
  EXPECT_THAT(SshPublicKey::FromLine(line),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

TEST(SshPublicKeyTest, MalformedLinesAreRefused) {
  EXPECT_THAT(SshPublicKey::FromLine(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SshPublicKey::FromLine("ssh-ed25519"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key data")));
  EXPECT_THAT(SshPublicKey::FromLine("ssh-ed25519 AAAA!!!"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64")));
  EXPECT_THAT(SshPublicKey::FromLine(std::string(kEd25519Line) + "\n" + kEd25519Line),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than one line")));
  EXPECT_THAT(SshPublicKey::FromLine(std::string(kMaxPublicKeyLineSize + 1, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than the limit")));
  // An authorized_keys line with options is not a bare key.
  EXPECT_THAT(SshPublicKey::FromLine(std::string("command=\"x\" ") + kEd25519Line),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshPublicKeyTest, SurroundingWhitespaceAndNewlineAreAccepted) {
  EXPECT_OK(SshPublicKey::FromLine(std::string("  ") + kEd25519Line + "\n").status());
}

TEST(SshPublicKeyTest, ErrorsQuoteUntrustedTypesEscapedAndBounded) {
  const std::string evil = "ssh-\n" + std::string(500, 'x');
  auto parsed = SshPublicKey::FromWire(Wire({evil, "x"}));
  ASSERT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(parsed.status().message().find('\n'), absl::string_view::npos);
  EXPECT_LT(parsed.status().message().size(), 120u);
}

}  // namespace
}  // namespace jit::ssh
