#include "services/auth/oidc/sealed_state.h"

#include "common/crypto/base64.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth::oidc {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::MatchesRegex;
using ::testing::Not;

const absl::Time kExpiry = absl::FromUnixMicros(1'800'000'000'123'456);

OidcLoginState Login() {
  return OidcLoginState{
      .login_id = std::string("0123456789abcdef"),
      .connector = "corp",
      .nonce = SecretString(std::string(43, 'n')),
      .pkce_verifier = SecretString(std::string("verifier-") + std::string(34, 'v')),
      .redirect_url = "https://jit.example.com/oidc/callback",
      .expire_time = kExpiry};
}

class OidcStateSealerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate()); }

  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
};

TEST_F(OidcStateSealerTest, OpenReturnsEverySealedField) {
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string state, sealer.Seal(Login()));
  ASSERT_OK_AND_ASSIGN(OidcLoginState got, sealer.Open(state));
  EXPECT_EQ(got.login_id, "0123456789abcdef");
  EXPECT_EQ(got.connector, "corp");
  EXPECT_EQ(got.nonce.Reveal(), std::string(43, 'n'));
  EXPECT_EQ(got.pkce_verifier.Reveal(), Login().pkce_verifier.Reveal());
  EXPECT_EQ(got.redirect_url, "https://jit.example.com/oidc/callback");
  EXPECT_EQ(got.expire_time, kExpiry);
}

TEST_F(OidcStateSealerTest, StateIsUrlSafeShortAndHidesTheSecrets) {
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string state, sealer.Seal(Login()));
  EXPECT_THAT(state, MatchesRegex("[A-Za-z0-9_-]+"));
  EXPECT_THAT(state.size(), Le(300u));
  ASSERT_OK_AND_ASSIGN(std::string raw, crypto::Base64UrlDecode(state));
  EXPECT_THAT(raw, Not(HasSubstr("verifier-")));
  EXPECT_THAT(raw, Not(HasSubstr("jit.example.com")));
}

TEST_F(OidcStateSealerTest, SealingTheSameLoginTwiceGivesDifferentStates) {
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string a, sealer.Seal(Login()));
  ASSERT_OK_AND_ASSIGN(std::string b, sealer.Seal(Login()));
  EXPECT_NE(a, b);
}

TEST_F(OidcStateSealerTest, EveryFlippedByteIsRefused) {
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string state, sealer.Seal(Login()));
  ASSERT_OK_AND_ASSIGN(const std::string raw, crypto::Base64UrlDecode(state));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] ^= 0x01;
    EXPECT_THAT(sealer.Open(crypto::Base64UrlEncode(altered)),
                StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState))
        << "byte " << i;
  }
}

TEST_F(OidcStateSealerTest, TruncatedOrExtendedStateIsRefused) {
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string state, sealer.Seal(Login()));
  ASSERT_OK_AND_ASSIGN(const std::string raw, crypto::Base64UrlDecode(state));
  EXPECT_THAT(sealer.Open(crypto::Base64UrlEncode(raw.substr(0, raw.size() - 1))),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(sealer.Open(crypto::Base64UrlEncode(raw + "x")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(OidcStateSealerTest, StateOfAnotherKeyEncryptionKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  OidcStateSealer other(other_kek.get());
  ASSERT_OK_AND_ASSIGN(std::string state, other.Seal(Login()));
  OidcStateSealer sealer(kek_.get());
  EXPECT_THAT(sealer.Open(state), StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState));
}

TEST_F(OidcStateSealerTest, ValueSealedForAnotherPurposeIsRefused) {
  // The same KEK seals TOTP secrets and signing keys: none of those opens as a state.
  ASSERT_OK_AND_ASSIGN(std::string sealed, kek_->Seal("any plaintext at all", "totp:alice"));
  OidcStateSealer sealer(kek_.get());
  EXPECT_THAT(sealer.Open(crypto::Base64UrlEncode(sealed)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(OidcStateSealerTest, MadeUpStatesAreRefused) {
  OidcStateSealer sealer(kek_.get());
  for (const std::string& made_up :
       {std::string(), std::string("made-up"), std::string("not base64url!"),
        crypto::Base64UrlEncode(std::string(200, '\x01')), std::string(2000, 'A')}) {
    EXPECT_THAT(sealer.Open(made_up), StatusIs(absl::StatusCode::kUnauthenticated)) << made_up;
  }
}

TEST_F(OidcStateSealerTest, LongestAllowedLoginFitsTheStateLimit) {
  OidcLoginState login = Login();
  login.connector = std::string(63, 'c');
  login.redirect_url = "http://127.0.0.1:65535/" + std::string(kMaxRedirectUrlBytes - 23, 'p');
  ASSERT_EQ(login.redirect_url.size(), kMaxRedirectUrlBytes);
  OidcStateSealer sealer(kek_.get());
  ASSERT_OK_AND_ASSIGN(std::string state, sealer.Seal(login));
  EXPECT_THAT(state.size(), Le(kMaxOidcStateChars));
  ASSERT_OK_AND_ASSIGN(OidcLoginState got, sealer.Open(state));
  EXPECT_EQ(got.redirect_url, login.redirect_url);
}

TEST_F(OidcStateSealerTest, OverlongRedirectUrlIsInvalidArgument) {
  OidcLoginState login = Login();
  login.redirect_url = std::string(kMaxRedirectUrlBytes + 1, 'x');
  OidcStateSealer sealer(kek_.get());
  EXPECT_THAT(sealer.Seal(login),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("redirect_url")));
}

TEST_F(OidcStateSealerTest, LoginIdOfAnotherLengthIsInvalidArgument) {
  OidcLoginState login = Login();
  login.login_id = "short";
  OidcStateSealer sealer(kek_.get());
  EXPECT_THAT(sealer.Seal(login), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth::oidc
