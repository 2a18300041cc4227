#include "common/jwt/session_token.h"

#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/jwt/jwk.h"
#include "common/jwt/testing/identity_of_size.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::jwt {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Identity Alice() {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name("alice");
  id.add_roles("dev");
  id.add_roles("oncall");
  (*id.mutable_traits())["logins"].add_values("alice");
  (*id.mutable_traits())["logins"].add_values("root");
  id.set_mfa_verified(true);
  id.set_session_id("sess-1");
  id.set_auth_method("local");
  return id;
}

class SessionTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto seed = *crypto::GenerateEd25519Seed();
    std::shared_ptr<crypto::Ed25519Signer> signer = *crypto::Ed25519Signer::Create(seed);
    public_key_ = signer->public_key();
    issuer_ = *SessionTokenIssuer::Create({.issuer = "jit-access", .audience = "jit-prod"},
                                          JwsAlgorithm::kEdDSA, "k1", signer);
    raw_signer_ = signer;
  }

  // The claims of a token as the verifier would see them after the signature check.
  std::string Payload(const std::string& token) {
    return *crypto::Base64UrlDecode(
        token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  }

  std::string Sign(const nlohmann::json& claims) {
    return claims.dump();  // ValidateSessionClaims works on the payload bytes.
  }

  nlohmann::json ValidClaims() {
    return {{"iss", "jit-access"}, {"aud", "jit-prod"},    {"sub", "alice"},
            {"sid", "s"},          {"iat", 1'700'000'000}, {"exp", 1'700'003'600}};
  }

  SessionClaimsPolicy policy_{.issuer = "jit-access", .audience = "jit-prod"};
  std::string public_key_;
  std::unique_ptr<SessionTokenIssuer> issuer_;
  std::shared_ptr<crypto::Signer> raw_signer_;
};

TEST_F(SessionTokenTest, IssuedTokenRoundTripsIdentity) {
  ASSERT_OK_AND_ASSIGN(std::string token, issuer_->Issue(Alice(), kNow, kNow + absl::Hours(8)));
  ASSERT_OK_AND_ASSIGN(UnverifiedJws jws, ParseCompactJws(token, {JwsAlgorithm::kEdDSA}));
  EXPECT_EQ(jws.kid, "k1");
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key,
                       VerificationKeyFromJwk(*Ed25519Jwk("k1", public_key_)));
  ASSERT_THAT(VerifyJwsSignature(jws, key), ::jit::testing::IsOk());

  ASSERT_OK_AND_ASSIGN(SessionClaims claims,
                       ValidateSessionClaims(jws.payload, policy_, kNow + absl::Hours(1)));
  const Identity& id = claims.identity;
  EXPECT_EQ(id.kind(), Identity::KIND_USER);
  EXPECT_EQ(id.name(), "alice");
  EXPECT_THAT(id.roles(), ElementsAre("dev", "oncall"));
  EXPECT_THAT(id.traits().at("logins").values(), ElementsAre("alice", "root"));
  EXPECT_TRUE(id.mfa_verified());
  EXPECT_EQ(id.session_id(), "sess-1");
  EXPECT_EQ(id.auth_method(), "local");
  EXPECT_EQ(id.expire_time().seconds(), absl::ToUnixSeconds(kNow + absl::Hours(8)));
  EXPECT_EQ(claims.expire_time, kNow + absl::Hours(8));
  EXPECT_EQ(claims.issue_time, kNow);
}

TEST_F(SessionTokenTest, IssueRefusesNonUsersAndBadTimes) {
  Identity service = Alice();
  service.set_kind(Identity::KIND_SERVICE);
  EXPECT_THAT(issuer_->Issue(service, kNow, kNow + absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Identity no_sid = Alice();
  no_sid.clear_session_id();
  EXPECT_THAT(issuer_->Issue(no_sid, kNow, kNow + absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_->Issue(Alice(), kNow, kNow), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SessionTokenIssuer::Create({.issuer = "", .audience = "a"}, JwsAlgorithm::kEdDSA, "k",
                                         raw_signer_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The largest identity with the longest iss, aud, kid and sid and the latest dates still
// gives a token within kMaxSessionTokenBytes (ES256 signatures have EdDSA's 64 bytes).
TEST_F(SessionTokenTest, LargestIdentityFitsTheTokenLimit) {
  const std::string longest(kMaxTokenNameBytes - 2, 'n');  // +2 quotes
  Identity id = testing::IdentityOfClaimBytes(kMaxIdentityClaimBytes, std::string(40, 'm'));
  id.set_session_id(longest);
  id.set_mfa_verified(false);
  ASSERT_EQ(IdentityClaimBytes(id), kMaxIdentityClaimBytes);
  const absl::Time late = absl::FromUnixSeconds(9'999'000'000);
  auto ed = *SessionTokenIssuer::Create({.issuer = longest, .audience = longest},
                                        JwsAlgorithm::kEdDSA, longest, raw_signer_);
  ASSERT_OK_AND_ASSIGN(std::string token, ed->Issue(id, late, late + absl::Hours(24)));
  EXPECT_LE(token.size(), kMaxSessionTokenBytes);
  EXPECT_GT(token.size(), kMaxSessionTokenBytes - 1024);  // the bound is tight, not loose
}

TEST_F(SessionTokenTest, IdentityOneByteOverTheLimitGetsNoToken) {
  Identity id = testing::IdentityOfClaimBytes(kMaxIdentityClaimBytes + 1);
  id.set_session_id("sess-1");
  EXPECT_THAT(issuer_->Issue(id, kNow, kNow + absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("limit of 8192 bytes")));
}

TEST_F(SessionTokenTest, IdentityBytesCountJsonEscapes) {
  Identity plain = Alice();
  Identity quoted = Alice();
  (*plain.mutable_traits())["x"].add_values("ab");
  (*quoted.mutable_traits())["x"].add_values("\"\\");
  EXPECT_EQ(IdentityClaimBytes(quoted), IdentityClaimBytes(plain) + 2);
}

TEST_F(SessionTokenTest, IssuerRefusesOverlongNamesAndRs256) {
  const std::string overlong(kMaxTokenNameBytes - 1, 'n');
  EXPECT_THAT(SessionTokenIssuer::Create({.issuer = overlong, .audience = "a"},
                                         JwsAlgorithm::kEdDSA, "k", raw_signer_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SessionTokenIssuer::Create({.issuer = "i", .audience = "a"}, JwsAlgorithm::kEdDSA,
                                         overlong, raw_signer_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SessionTokenIssuer::Create({.issuer = "i", .audience = "a"}, JwsAlgorithm::kRS256,
                                         "k", raw_signer_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Identity long_sid = Alice();
  long_sid.set_session_id(overlong);
  EXPECT_THAT(issuer_->Issue(long_sid, kNow, kNow + absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SessionTokenTest, ExpiredTokenIsRefusedAfterSkew) {
  const std::string payload = Sign(ValidClaims());
  const absl::Time exp = absl::FromUnixSeconds(1'700'003'600);
  EXPECT_THAT(ValidateSessionClaims(payload, policy_, exp + absl::Seconds(29)),
              ::jit::testing::IsOk());
  EXPECT_THAT(ValidateSessionClaims(payload, policy_, exp + absl::Seconds(30)),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
}

TEST_F(SessionTokenTest, FutureTokensAreRefusedBeyondSkew) {
  auto claims = ValidClaims();
  claims["nbf"] = 1'700'000'100;
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow + absl::Seconds(70)),
              ::jit::testing::IsOk());
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow + absl::Seconds(69)),
              StatusIs(absl::StatusCode::kUnauthenticated, "token not yet valid"));
  EXPECT_THAT(ValidateSessionClaims(Sign(ValidClaims()), policy_, kNow - absl::Seconds(31)),
              StatusIs(absl::StatusCode::kUnauthenticated, "token issued in the future"));
}

TEST_F(SessionTokenTest, WrongAudienceOrIssuerIsRefused) {
  auto claims = ValidClaims();
  claims["aud"] = "jit-staging";
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "token audience mismatch"));
  claims["aud"] = {"jit-staging", "jit-prod"};
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow), ::jit::testing::IsOk());
  claims["aud"] = {"jit-staging"};
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "token audience mismatch"));
  claims = ValidClaims();
  claims["iss"] = "evil";
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "token issuer mismatch"));
}

TEST_F(SessionTokenTest, OverlongLifetimeIsRefused) {
  auto claims = ValidClaims();
  claims["exp"] = 1'700'000'000 + 25 * 3600;
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("lifetime")));
  claims["exp"] = 1'700'000'000;
  EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("before it was issued")));
}

TEST_F(SessionTokenTest, MissingOrMistypedClaimsAreRefused) {
  for (const char* name : {"iss", "aud", "sub", "sid", "iat", "exp"}) {
    auto claims = ValidClaims();
    claims.erase(name);
    EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(name)))
        << name;
  }
  const std::pair<const char*, nlohmann::json> kBad[] = {
      {"exp", "1700003600"}, {"exp", 1.7e9},
      {"iat", -5},           {"exp", 1e12},
      {"sub", 42},           {"sub", ""},
      {"roles", "dev"},      {"roles", {1, 2}},
      {"traits", {1}},       {"traits", {{"logins", "alice"}}},
      {"mfa", "true"},       {"aud", 5},
      {"aud", {5}},          {"auth_method", false},
  };
  for (const auto& [name, value] : kBad) {
    auto claims = ValidClaims();
    claims[name] = value;
    EXPECT_THAT(ValidateSessionClaims(Sign(claims), policy_, kNow),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << name << "=" << value.dump();
  }
}

TEST_F(SessionTokenTest, DuplicateClaimsAreRefused) {
  const std::string payload =
      R"({"iss":"jit-access","aud":"jit-prod","sub":"alice","sub":"admin","sid":"s",)"
      R"("iat":1700000000,"exp":1700003600})";
  EXPECT_THAT(ValidateSessionClaims(payload, policy_, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("duplicate")));
}

}  // namespace
}  // namespace jit::jwt
