#include "services/auth/signing_key_ring.h"

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/auth/testing/static_revocation_checker.h"
#include "common/auth/token_verifier.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/stored_token_sources.h"
#include "services/auth/testing/in_memory_stores.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::InMemorySigningKeyStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::SizeIs;

jit::common::v1::Identity Alice() {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name("alice");
  id.set_session_id("s1");
  id.set_auth_method("local");
  return id;
}

class SigningKeyRingTest : public ::testing::Test {
 protected:
  std::unique_ptr<SigningKeyRing> Ring() {
    return *SigningKeyRing::Create({.issuer = "jit-access", .audience = "jit-test"}, store_.get(),
                                   &clock_);
  }
  // A verifier over the keys the ring publishes (as auth's own verifier is built).
  absl::Status VerifyWithPublishedKeys(const std::string& token) {
    StoredJwksSource source(store_, &clock_, absl::Hours(25));
    auto cache = *JwksCache::Create(&source, &clock_, {});
    StaticRevocationChecker revocations;
    auto verifier = *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test"},
                                           cache.get(), &revocations, &clock_);
    return verifier->Verify(token).status();
  }

  FakeClock clock_;
  std::shared_ptr<InMemorySigningKeyStore> store_ = std::make_shared<InMemorySigningKeyStore>();
};

TEST_F(SigningKeyRingTest, EnsureKeyCreatesOneKeyOnce) {
  auto ring = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK(ring->EnsureKey());
  EXPECT_EQ(store_->size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto published, ring->Published());
  EXPECT_THAT(published, SizeIs(1));
  EXPECT_EQ(published[0].alg, "EdDSA");
}

TEST_F(SigningKeyRingTest, WithoutKeysThereIsNoIssuer) {
  EXPECT_THAT(Ring()->CurrentIssuer(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SigningKeyRingTest, IssuedTokensVerifyAgainstThePublishedKeys) {
  auto ring = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK_AND_ASSIGN(auto issuer, ring->CurrentIssuer());
  ASSERT_OK_AND_ASSIGN(std::string token,
                       issuer->Issue(Alice(), clock_.Now(), clock_.Now() + absl::Hours(1)));
  EXPECT_OK(VerifyWithPublishedKeys(token));
}

TEST_F(SigningKeyRingTest, RotatedKeyIsPublishedAtOnceButSignsOnlyAfterTheDelay) {
  auto ring = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK_AND_ASSIGN(auto old_issuer, ring->CurrentIssuer());
  ASSERT_OK_AND_ASSIGN(SigningKeyRing::Rotation rotation, ring->Rotate({.actor = "user:admin"}));
  EXPECT_EQ(rotation.activate_time, clock_.Now() + absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(auto published, ring->Published());
  EXPECT_THAT(published, SizeIs(2));

  clock_.Advance(absl::Seconds(9));
  ASSERT_OK_AND_ASSIGN(auto before, ring->CurrentIssuer());
  EXPECT_EQ(before->kid(), old_issuer->kid());
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto after, ring->CurrentIssuer());
  EXPECT_EQ(after->kid(), rotation.kid);
  // Tokens of both keys verify.
  ASSERT_OK_AND_ASSIGN(std::string old_token,
                       old_issuer->Issue(Alice(), clock_.Now(), clock_.Now() + absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(std::string new_token,
                       after->Issue(Alice(), clock_.Now(), clock_.Now() + absl::Hours(1)));
  EXPECT_OK(VerifyWithPublishedKeys(old_token));
  EXPECT_OK(VerifyWithPublishedKeys(new_token));
}

TEST_F(SigningKeyRingTest, AnotherReplicasRotationTakesOverAtItsActivation) {
  auto ring = Ring();
  auto other_replica = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK_AND_ASSIGN(auto first, ring->CurrentIssuer());
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(SigningKeyRing::Rotation rotation,
                       other_replica->Rotate({.actor = "user:admin"}));
  clock_.Advance(absl::Seconds(5));
  // Reloaded (the cache is older than 5 s): the new key is known but not active yet.
  ASSERT_OK_AND_ASSIGN(auto before, ring->CurrentIssuer());
  EXPECT_EQ(before->kid(), first->kid());
  clock_.SetTime(rotation.activate_time);
  ASSERT_OK_AND_ASSIGN(auto after, ring->CurrentIssuer());
  EXPECT_EQ(after->kid(), rotation.kid);
}

TEST_F(SigningKeyRingTest, OldKeyLeavesTheJwksAfterTheRetention) {
  auto ring = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK(ring->Rotate({.actor = "user:admin"}).status());
  clock_.Advance(absl::Seconds(10) + absl::Hours(25) - absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto during, ring->Published());
  EXPECT_THAT(during, SizeIs(2));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto after, ring->Published());
  EXPECT_THAT(after, SizeIs(1));
}

TEST_F(SigningKeyRingTest, CachedKeyKeepsSigningThroughAStoreOutage) {
  auto ring = Ring();
  ASSERT_OK(ring->EnsureKey());
  ASSERT_OK(ring->CurrentIssuer().status());
  store_->SetUnavailable(true);
  clock_.Advance(absl::Minutes(1));
  EXPECT_OK(ring->CurrentIssuer().status());
  auto cold = Ring();
  EXPECT_THAT(cold->CurrentIssuer(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(SigningKeyRingTest, PublishDelayShorterThanTheVerifiersRefreshIsRefused) {
  EXPECT_THAT(
      SigningKeyRing::Create({.issuer = "i", .audience = "a", .publish_delay = absl::Seconds(5)},
                             store_.get(), &clock_),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SigningKeyRing::Create({.issuer = "", .audience = "a"}, store_.get(), &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
