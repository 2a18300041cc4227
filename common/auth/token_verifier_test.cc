#include "common/auth/token_verifier.h"

#include <thread>

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/auth/test_keys.h"
#include "common/auth/testing/static_revocation_checker.h"
#include "common/clock.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/ecdsa_p256.h"
#include "common/jwt/jwk.h"
#include "common/jwt/jws.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::MakeTestSessionKey;
using ::jit::auth::testing::TestSessionKey;
using ::jit::auth::testing::TestUser;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    k1_ = *MakeTestSessionKey("k1", "jit-access", "jit-test");
    source_.SetKeys({k1_.jwk});
    keys_ = *JwksCache::Create(&source_, &clock_, {});
    verifier_ = *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test"},
                                       keys_.get(), &revocation_, &clock_);
  }

  std::string Token(const std::string& sid = "sess-1", absl::Duration ttl = absl::Hours(8),
                    absl::Duration issued_offset = absl::ZeroDuration()) {
    const absl::Time iat = clock_.Now() + issued_offset;
    return *k1_.issuer->Issue(TestUser("alice", sid), iat, iat + ttl);
  }

  FakeClock clock_;
  StaticJwksSource source_;
  StaticRevocationChecker revocation_;
  TestSessionKey k1_;
  std::unique_ptr<JwksCache> keys_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, ValidTokenGivesTheUserIdentity) {
  ASSERT_OK_AND_ASSIGN(auto id, verifier_->Verify(Token()));
  EXPECT_EQ(id->kind(), Identity::KIND_USER);
  EXPECT_EQ(id->name(), "alice");
  EXPECT_THAT(id->roles(), ElementsAre("dev"));
  EXPECT_THAT(id->traits().at("logins").values(), ElementsAre("alice"));
  EXPECT_EQ(id->session_id(), "sess-1");
  EXPECT_EQ(id->expire_time().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Hours(8)));
}

TEST_F(TokenVerifierTest, SecondVerificationComesFromTheCache) {
  const std::string token = Token();
  ASSERT_OK_AND_ASSIGN(auto first, verifier_->Verify(token));
  ASSERT_OK_AND_ASSIGN(auto second, verifier_->Verify(token));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(verifier_->cached_tokens(), 1u);
  EXPECT_EQ(source_.fetches(), 1);
}

TEST_F(TokenVerifierTest, RevokedSessionIsRefusedEvenWhenCached) {
  const std::string token = Token("sess-9");
  ASSERT_THAT(verifier_->Verify(token), IsOk());
  revocation_.Revoke("sess-9");
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  EXPECT_THAT(verifier_->Verify(Token("sess-10")), IsOk());
}

TEST_F(TokenVerifierTest, RevokedSessionIsRefusedOnFirstSight) {
  revocation_.Revoke("sess-1");
  EXPECT_THAT(verifier_->Verify(Token()),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  EXPECT_EQ(verifier_->cached_tokens(), 0u);
}

TEST_F(TokenVerifierTest, UnknownRevocationStateFailsClosed) {
  const std::string token = Token();
  ASSERT_THAT(verifier_->Verify(token), IsOk());
  revocation_.SetUnavailable(true);
  EXPECT_THAT(verifier_->Verify(token), StatusIs(absl::StatusCode::kUnavailable));
}

// A feed that answered once (an empty, complete list) and then went away.
class OnceFeed final : public RevocationFeed {
 public:
  absl::StatusOr<RevocationUpdate> FetchRevocations(int64_t) override {
    if (answered_) return absl::UnavailableError("auth down");
    answered_ = true;
    return RevocationUpdate{.cursor = 1, .complete = true};
  }

 private:
  bool answered_ = false;
};

// On a best-effort list 10 s old (auth away), a session holding a strict role is refused as
// in strict mode; sessions without one still pass.
TEST_F(TokenVerifierTest, StrictRolesAreHeldToTheStrictBoundOnABestEffortList) {
  OnceFeed feed;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RevocationList> list,
                       RevocationList::Create(&feed, &clock_, {}));
  ASSERT_THAT(list->Refresh(), IsOk());
  ASSERT_OK_AND_ASSIGN(auto strict_dev, TokenVerifier::Create({.issuer = "jit-access",
                                                               .audience = "jit-test",
                                                               .strict_roles = {"dev"}},
                                                              keys_.get(), list.get(), &clock_));
  ASSERT_OK_AND_ASSIGN(auto strict_admin, TokenVerifier::Create({.issuer = "jit-access",
                                                                 .audience = "jit-test",
                                                                 .strict_roles = {"admin"}},
                                                                keys_.get(), list.get(), &clock_));
  const std::string token = Token();  // alice, role dev
  ASSERT_THAT(strict_dev->Verify(token), IsOk());
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(list->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  // Cached or not, the strict role decides.
  EXPECT_THAT(strict_dev->Verify(token),
              StatusIs(absl::StatusCode::kUnavailable, "revocation list is out of date"));
  EXPECT_THAT(strict_dev->Verify(Token("sess-2")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(strict_admin->Verify(token), IsOk());
}

TEST_F(TokenVerifierTest, ExpiredTokenIsRefused) {
  const std::string token = Token("s", absl::Hours(1), -absl::Hours(2));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
}

TEST_F(TokenVerifierTest, CachedTokenStopsWorkingAtExpiry) {
  const std::string token = Token("s", absl::Hours(1));
  ASSERT_THAT(verifier_->Verify(token), IsOk());
  clock_.Advance(absl::Hours(1) + absl::Seconds(29));
  EXPECT_THAT(verifier_->Verify(token), IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
  EXPECT_EQ(verifier_->cached_tokens(), 0u);
}

TEST_F(TokenVerifierTest, NotYetValidTokenIsRefused) {
  EXPECT_THAT(verifier_->Verify(Token("s", absl::Hours(1), absl::Minutes(5))),
              StatusIs(absl::StatusCode::kUnauthenticated, "token issued in the future"));
}

TEST_F(TokenVerifierTest, TokenForAnotherAudienceIsRefused) {
  auto issuer =
      *jwt::SessionTokenIssuer::Create({.issuer = "jit-access", .audience = "jit-staging"},
                                       jwt::JwsAlgorithm::kEdDSA, "k1", k1_.signer);
  const std::string token =
      *issuer->Issue(TestUser("alice", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token audience mismatch"));
}

TEST_F(TokenVerifierTest, ForgedTokenWithKnownKidIsRefused) {
  TestSessionKey attacker = *MakeTestSessionKey("k1");  // same kid, attacker's key
  const std::string token =
      *attacker.issuer->Issue(TestUser("admin", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token signature is invalid"));
}

TEST_F(TokenVerifierTest, UnknownKidIsRefusedAfterOneRefresh) {
  TestSessionKey attacker = *MakeTestSessionKey("k-unknown");
  const std::string token =
      *attacker.issuer->Issue(TestUser("admin", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token signed by an unknown key"));
  EXPECT_EQ(source_.fetches(), 1);
}

TEST_F(TokenVerifierTest, TamperedPayloadIsRefused) {
  const std::string token = Token();
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  std::string claims = *crypto::Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const size_t pos = claims.find("\"dev\"");
  ASSERT_NE(pos, std::string::npos);
  claims.replace(pos, 5, "\"adm\"");
  const std::string tampered =
      token.substr(0, dot1 + 1) + crypto::Base64UrlEncode(claims) + token.substr(dot2);
  EXPECT_THAT(verifier_->Verify(tampered),
              StatusIs(absl::StatusCode::kUnauthenticated, "token signature is invalid"));
}

TEST_F(TokenVerifierTest, AlgNoneIsRefused) {
  const std::string token = Token();
  const std::string none_header = crypto::Base64UrlEncode(R"({"alg":"none","kid":"k1"})");
  const std::string body = token.substr(token.find('.'), token.rfind('.') - token.find('.'));
  EXPECT_THAT(verifier_->Verify(none_header + body + "."),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid token")));
}

TEST_F(TokenVerifierTest, Hs256WithThePublicKeyAsSecretIsRefused) {
  const std::string token = Token();
  const std::string input = crypto::Base64UrlEncode(R"({"alg":"HS256","kid":"k1","typ":"JWT"})") +
                            token.substr(token.find('.'), token.rfind('.') - token.find('.'));
  const std::string public_key = *crypto::Base64UrlDecode(k1_.jwk.x);
  const std::string mac = *crypto::HmacSha256(public_key, input);
  EXPECT_THAT(
      verifier_->Verify(input + "." + crypto::Base64UrlEncode(mac)),
      StatusIs(absl::StatusCode::kUnauthenticated, "invalid token: token alg is not accepted"));
}

TEST_F(TokenVerifierTest, Es256TokenIsRefusedWhenOnlyEdDsaIsAccepted) {
  crypto::EvpPkeyPtr ec = *crypto::GenerateP256Key();
  source_.SetKeys({k1_.jwk, *jwt::P256Jwk("ec", ec.get())});
  std::shared_ptr<crypto::Signer> signer =
      *crypto::EcdsaP256Signer::Create(std::move(ec), crypto::EcdsaSignatureEncoding::kIeeeP1363);
  auto issuer = *jwt::SessionTokenIssuer::Create({.issuer = "jit-access", .audience = "jit-test"},
                                                 jwt::JwsAlgorithm::kES256, "ec", signer);
  const std::string token =
      *issuer->Issue(TestUser("alice", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg is not accepted")));
}

TEST_F(TokenVerifierTest, RemovingTheKeyInvalidatesCachedTokens) {
  const std::string token = Token();
  ASSERT_THAT(verifier_->Verify(token), IsOk());
  TestSessionKey k2 = *MakeTestSessionKey("k2");
  source_.SetKeys({k2.jwk});
  ASSERT_THAT(keys_->Refresh(), IsOk());
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "token signed by an unknown key"));
}

TEST_F(TokenVerifierTest, UnreachableKeySourceIsUnavailable) {
  source_.SetError(absl::UnavailableError("auth down"));
  EXPECT_THAT(verifier_->Verify(Token()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TokenVerifierTest, GarbageIsUnauthenticated) {
  for (const char* bad : {"", "x", "a.b.c", "....", "eyJ.eyJ.sig"}) {
    EXPECT_THAT(verifier_->Verify(bad), StatusIs(absl::StatusCode::kUnauthenticated)) << bad;
  }
  EXPECT_THAT(verifier_->Verify(std::string(20000, 'a')),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too large")));
}

TEST_F(TokenVerifierTest, AuthorizationHeaderNeedsBearerScheme) {
  const std::string token = Token();
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader("Bearer " + token), IsOk());
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader("bearer " + token), IsOk());
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader(""),
              StatusIs(absl::StatusCode::kUnauthenticated, "missing bearer token"));
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader("Basic YWxpY2U6cHc="),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not a bearer token")));
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not a bearer token")));
  EXPECT_THAT(verifier_->VerifyAuthorizationHeader("Bearer "),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TokenVerifierTest, CacheStaysWithinCapacity) {
  auto small =
      *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test", .cache_capacity = 64},
                             keys_.get(), &revocation_, &clock_);
  for (int i = 0; i < 500; ++i) {
    ASSERT_THAT(small->Verify(Token("s" + std::to_string(i))), IsOk());
  }
  EXPECT_LE(small->cached_tokens(), 64u);
  EXPECT_GT(small->cached_tokens(), 0u);
}

TEST_F(TokenVerifierTest, ConcurrentVerificationsAgree) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(Token("s" + std::to_string(i)));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        for (const auto& token : tokens) ok += verifier_->Verify(token).ok() ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4 * 50 * 8);
  EXPECT_EQ(verifier_->cached_tokens(), 8u);
}

TEST(TokenVerifierCreateTest, RequiresIssuerAudienceAndDependencies) {
  FakeClock clock;
  StaticJwksSource source;
  StaticRevocationChecker revocation;
  auto keys = *JwksCache::Create(&source, &clock, {});
  EXPECT_THAT(
      TokenVerifier::Create({.issuer = "", .audience = "a"}, keys.get(), &revocation, &clock),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenVerifier::Create({.issuer = "i", .audience = "a"}, keys.get(), nullptr, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
