#include "common/auth/jwks_cache.h"

#include "common/auth/test_keys.h"
#include "common/clock.h"
#include "common/crypto/ecdsa_p256.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::MakeTestSessionKey;
using ::jit::auth::testing::TestSessionKey;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using jwt::JwsAlgorithm;

class JwksCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    k1_ = *MakeTestSessionKey("k1");
    k2_ = *MakeTestSessionKey("k2");
    source_.SetKeys({k1_.jwk});
    cache_ = *JwksCache::Create(&source_, &clock_, {});
  }

  FakeClock clock_;
  StaticJwksSource source_;
  TestSessionKey k1_, k2_;
  std::unique_ptr<JwksCache> cache_;
};

TEST_F(JwksCacheTest, FirstLookupFetchesOnce) {
  ASSERT_OK_AND_ASSIGN(auto key, cache_->GetKey("k1", JwsAlgorithm::kEdDSA));
  EXPECT_EQ(key->kid, "k1");
  ASSERT_OK_AND_ASSIGN(auto again, cache_->GetKey("k1", JwsAlgorithm::kEdDSA));
  EXPECT_EQ(again.get(), key.get());
  EXPECT_EQ(source_.fetches(), 1);
}

TEST_F(JwksCacheTest, UnknownKidRefreshesAtMostOncePerInterval) {
  ASSERT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(cache_->GetKey("nope", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(source_.fetches(), 2);
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(cache_->GetKey("nope-" + std::to_string(i), JwsAlgorithm::kEdDSA),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(source_.fetches(), 2);
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(cache_->GetKey("nope", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(source_.fetches(), 3);
}

TEST_F(JwksCacheTest, UnknownKidPicksUpARotatedKey) {
  ASSERT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  source_.SetKeys({k1_.jwk, k2_.jwk});
  clock_.Advance(absl::Seconds(6));
  ASSERT_OK_AND_ASSIGN(auto key, cache_->GetKey("k2", JwsAlgorithm::kEdDSA));
  EXPECT_EQ(key->kid, "k2");
}

TEST_F(JwksCacheTest, OldSetIsRefetchedAfterMaxAge) {
  ASSERT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  clock_.Advance(absl::Minutes(9));
  ASSERT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  EXPECT_EQ(source_.fetches(), 1);
  source_.SetKeys({k2_.jwk});  // k1 retired
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(source_.fetches(), 2);
}

TEST_F(JwksCacheTest, FetchFailureKeepsKnownKeysUntilMaxStaleness) {
  ASSERT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  source_.SetError(absl::UnavailableError("auth down"));
  clock_.Advance(absl::Minutes(30));
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  EXPECT_THAT(cache_->GetKey("k2", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kUnavailable));
  clock_.Advance(absl::Minutes(31));
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kUnavailable));
  source_.SetError(absl::OkStatus());
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
}

TEST_F(JwksCacheTest, NoKeysYetIsUnavailable) {
  source_.SetError(absl::UnavailableError("auth down"));
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(JwksCacheTest, GenerationChangesOnlyWhenAKeyIsLostOrReplaced) {
  ASSERT_THAT(cache_->Refresh(), IsOk());
  const uint64_t g0 = cache_->generation();
  source_.SetKeys({k1_.jwk, k2_.jwk});  // added
  ASSERT_THAT(cache_->Refresh(), IsOk());
  EXPECT_EQ(cache_->generation(), g0);
  source_.SetKeys({k2_.jwk});  // k1 removed
  ASSERT_THAT(cache_->Refresh(), IsOk());
  const uint64_t g1 = cache_->generation();
  EXPECT_NE(g1, g0);
  TestSessionKey other = *MakeTestSessionKey("k2");  // same kid, other key material
  source_.SetKeys({other.jwk});
  ASSERT_THAT(cache_->Refresh(), IsOk());
  EXPECT_NE(cache_->generation(), g1);
}

TEST_F(JwksCacheTest, IgnoresKeysForOtherAlgorithms) {
  crypto::EvpPkeyPtr ec = *crypto::GenerateP256Key();
  source_.SetKeys({k1_.jwk, *jwt::P256Jwk("ec", ec.get())});
  EXPECT_THAT(cache_->GetKey("ec", JwsAlgorithm::kES256), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(
      auto both, JwksCache::Create(&source_, &clock_,
                                   {.algorithms = {JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256}}));
  EXPECT_THAT(both->GetKey("ec", JwsAlgorithm::kES256), IsOk());
}

TEST_F(JwksCacheTest, EmptyKidMatchesOnlyASingleKey) {
  ASSERT_OK_AND_ASSIGN(auto key, cache_->GetKey("", JwsAlgorithm::kEdDSA));
  EXPECT_EQ(key->kid, "k1");
  source_.SetKeys({k1_.jwk, k2_.jwk});
  ASSERT_THAT(cache_->Refresh(), IsOk());
  EXPECT_THAT(cache_->GetKey("", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(JwksCacheTest, InvalidKeysInTheSetAreSkipped) {
  jwt::JsonWebKey broken = k2_.jwk;
  broken.x = "AAAA";
  source_.SetKeys({k1_.jwk, broken});
  EXPECT_THAT(cache_->GetKey("k1", JwsAlgorithm::kEdDSA), IsOk());
  EXPECT_THAT(cache_->GetKey("k2", JwsAlgorithm::kEdDSA), StatusIs(absl::StatusCode::kNotFound));
}

TEST(JwksCacheCreateTest, RejectsMissingDependencies) {
  FakeClock clock;
  StaticJwksSource source;
  EXPECT_THAT(JwksCache::Create(nullptr, &clock, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(JwksCache::Create(&source, &clock, {.algorithms = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
