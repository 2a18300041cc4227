#include "common/jwt/jws.h"

#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/ed25519.h"
#include "common/jwt/jwk.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::jwt {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

constexpr JwsAlgorithm kAll[] = {JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256, JwsAlgorithm::kRS256};
constexpr JwsAlgorithm kEdDsaOnly[] = {JwsAlgorithm::kEdDSA};

// RFC 8037 Appendix A.
constexpr char kRfc8037D[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kRfc8037X[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr char kRfc8037Jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// RFC 7515 Appendix A.3.
constexpr char kRfc7515Es256Jws[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
    "cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

class JwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = SecretString(*crypto::Base64UrlDecode(kRfc8037D));
    signer_ = *crypto::Ed25519Signer::Create(seed_);
    JsonWebKey jwk = *Ed25519Jwk("k1", signer_->public_key());
    key_ = *VerificationKeyFromJwk(jwk);
  }

  // A token with `header` over `payload`, signed with the test key whatever the header says.
  std::string Forge(const nlohmann::json& header, std::string_view payload = "{}") {
    return *SignCompactJwsWithHeader(header, payload, *signer_);
  }

  SecretString seed_;
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  JwsVerificationKey key_;
};

TEST_F(JwsTest, Rfc8037Ed25519KnownAnswer) {
  EXPECT_EQ(crypto::Base64UrlEncode(signer_->public_key()), kRfc8037X);
  ASSERT_OK_AND_ASSIGN(
      std::string token,
      SignCompactJwsWithHeader({{"alg", "EdDSA"}}, "Example of Ed25519 signing", *signer_));
  EXPECT_EQ(token, kRfc8037Jws);
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(token, kAll));
  EXPECT_EQ(jws.alg, JwsAlgorithm::kEdDSA);
  EXPECT_EQ(jws.payload, "Example of Ed25519 signing");
  EXPECT_EQ(jws.kid, "");
  EXPECT_THAT(VerifyJwsSignature(jws, key_), IsOk());
}

TEST_F(JwsTest, Rfc7515Es256KnownAnswer) {
  JsonWebKey jwk{.kid = "ec",
                 .kty = "EC",
                 .crv = "P-256",
                 .x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 .y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"};
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key, VerificationKeyFromJwk(jwk));
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(kRfc7515Es256Jws, kAll));
  EXPECT_EQ(jws.alg, JwsAlgorithm::kES256);
  EXPECT_THAT(VerifyJwsSignature(jws, key), IsOk());
  // The same token is refused when the verifier allows EdDSA only.
  EXPECT_THAT(ParseCompactJws(kRfc7515Es256Jws, kEdDsaOnly),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alg is not accepted")));
}

TEST_F(JwsTest, SignedTokenCarriesKidAndTyp) {
  ASSERT_OK_AND_ASSIGN(std::string token,
                       SignCompactJws(JwsAlgorithm::kEdDSA, "k1", {{"sub", "alice"}}, *signer_));
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(token, kEdDsaOnly));
  EXPECT_EQ(jws.kid, "k1");
  EXPECT_EQ(jws.typ, "JWT");
  EXPECT_EQ(jws.payload, R"({"sub":"alice"})");
  EXPECT_THAT(VerifyJwsSignature(jws, key_), IsOk());
}

TEST_F(JwsTest, RejectsAlgNone) {
  const std::string unsigned_token =
      crypto::Base64UrlEncode(R"({"alg":"none"})") + "." + crypto::Base64UrlEncode("{}") + ".";
  EXPECT_THAT(ParseCompactJws(unsigned_token, kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsigned")));
  // Even with a signature present, "none" is not an algorithm here.
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "none"}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alg is not accepted")));
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "None"}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(JwsTest, RejectsHs256MadeWithThePublicKey) {
  // The classic confusion: an attacker MACs the token with the verifier's public key bytes.
  const std::string input = crypto::Base64UrlEncode(R"({"alg":"HS256","kid":"k1"})") + "." +
                            crypto::Base64UrlEncode(R"({"sub":"admin"})");
  ASSERT_OK_AND_ASSIGN(std::string mac, crypto::HmacSha256(signer_->public_key(), input));
  const std::string token = input + "." + crypto::Base64UrlEncode(mac);
  EXPECT_THAT(ParseCompactJws(token, kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alg is not accepted")));
}

TEST_F(JwsTest, RejectsAlgThatDoesNotMatchTheKey) {
  // Header claims ES256 (an accepted algorithm) but the key is an Ed25519 key.
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(Forge({{"alg", "ES256"}}), kAll));
  EXPECT_THAT(VerifyJwsSignature(jws, key_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match the key")));
}

TEST_F(JwsTest, RejectsTamperedPayloadAndSignature) {
  ASSERT_OK_AND_ASSIGN(std::string token,
                       SignCompactJws(JwsAlgorithm::kEdDSA, "k1", {{"sub", "alice"}}, *signer_));
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  std::string tampered = token.substr(0, dot1 + 1) + crypto::Base64UrlEncode(R"({"sub":"admin"})") +
                         token.substr(dot2);
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(tampered, kAll));
  EXPECT_THAT(VerifyJwsSignature(jws, key_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature is invalid")));

  std::string bad_sig = token;
  bad_sig[dot2 + 5] = bad_sig[dot2 + 5] == 'A' ? 'B' : 'A';
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws2, ParseCompactJws(bad_sig, kAll));
  EXPECT_THAT(VerifyJwsSignature(jws2, key_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(JwsTest, RejectsWrongNumberOfPartsAndEmptyParts) {
  const std::string good = Forge({{"alg", "EdDSA"}});
  EXPECT_THAT(ParseCompactJws("", kAll), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCompactJws("abc", kAll), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCompactJws("abc.def", kAll), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCompactJws(good + ".extra", kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than three")));
  EXPECT_THAT(ParseCompactJws(".." + good.substr(good.rfind('.') + 1), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty part")));
}

TEST_F(JwsTest, RejectsBadBase64UrlInEachPart) {
  const std::string good = Forge({{"alg", "EdDSA"}});
  const size_t dot1 = good.find('.');
  const size_t dot2 = good.find('.', dot1 + 1);
  EXPECT_THAT(ParseCompactJws("e+J" + good.substr(3), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header is not base64url")));
  std::string bad_payload = good;
  bad_payload.insert(dot1 + 1, "=");
  EXPECT_THAT(ParseCompactJws(bad_payload, kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload is not base64url")));
  std::string bad_sig = good;
  bad_sig.insert(dot2 + 1, "/");
  EXPECT_THAT(ParseCompactJws(bad_sig, kAll), StatusIs(absl::StatusCode::kInvalidArgument,
                                                       HasSubstr("signature is not base64url")));
}

TEST_F(JwsTest, RejectsOversizedToken) {
  const std::string big = Forge({{"alg", "EdDSA"}}, std::string(kMaxJwsBytes, 'x'));
  EXPECT_THAT(ParseCompactJws(big, kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
}

TEST_F(JwsTest, RejectsDuplicateHeaderMembers) {
  const std::string header = R"({"alg":"EdDSA","alg":"ES256"})";
  const std::string input = crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode("{}");
  const std::string token = input + "." + crypto::Base64UrlEncode(*signer_->Sign(input));
  EXPECT_THAT(ParseCompactJws(token, kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST_F(JwsTest, RejectsCritTypAndKidDefects) {
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "EdDSA"}, {"crit", {"exp"}}, {"exp", 1}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("crit")));
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "EdDSA"}, {"typ", "JWE"}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("typ")));
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "EdDSA"}, {"kid", 7}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kid")));
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "EdDSA"}, {"kid", ""}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kid")));
  EXPECT_THAT(ParseCompactJws(Forge({{"typ", "JWT"}}), kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no alg")));
  EXPECT_THAT(ParseCompactJws(Forge({{"alg", "EdDSA"}, {"typ", "jwt"}}), kAll), IsOk());
}

TEST_F(JwsTest, RejectsHeaderThatIsNotAnObject) {
  const std::string input =
      crypto::Base64UrlEncode(R"(["alg","EdDSA"])") + "." + crypto::Base64UrlEncode("{}");
  EXPECT_THAT(ParseCompactJws(input + ".AAAA", kAll),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
}

TEST(JwsAlgorithmTest, NamesRoundTripAndHmacIsUnknown) {
  for (JwsAlgorithm alg : kAll) {
    ASSERT_OK_AND_ASSIGN(JwsAlgorithm back, JwsAlgorithmFromName(JwsAlgorithmName(alg)));
    EXPECT_EQ(back, alg);
  }
  for (const char* name : {"none", "HS256", "HS512", "RS384", "PS256", "ES384", "eddsa", ""}) {
    EXPECT_THAT(JwsAlgorithmFromName(name), StatusIs(absl::StatusCode::kInvalidArgument)) << name;
  }
}

}  // namespace
}  // namespace jit::jwt
