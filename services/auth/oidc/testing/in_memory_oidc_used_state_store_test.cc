#include "services/auth/oidc/testing/in_memory_oidc_used_state_store.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth::oidc::testing {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(InMemoryOidcUsedStateStoreTest, SecondMarkOfAnIdIsAlreadyExists) {
  InMemoryOidcUsedStateStore store;
  ASSERT_THAT(store.MarkUsed("id-1", kNow + absl::Minutes(5)), IsOk());
  EXPECT_THAT(store.MarkUsed("id-1", kNow + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store.MarkUsed("id-2", kNow + absl::Minutes(5)), IsOk());
}

TEST(InMemoryOidcUsedStateStoreTest, IsUsedOnlyAfterMarkUsed) {
  InMemoryOidcUsedStateStore store;
  EXPECT_THAT(store.IsUsed("id-1"), IsOkAndHolds(false));
  ASSERT_THAT(store.MarkUsed("id-1", kNow + absl::Minutes(5)), IsOk());
  EXPECT_THAT(store.IsUsed("id-1"), IsOkAndHolds(true));
}

TEST(InMemoryOidcUsedStateStoreTest, DeleteExpiredForgetsOnlyIdsExpiredBefore) {
  InMemoryOidcUsedStateStore store;
  ASSERT_THAT(store.MarkUsed("old", kNow), IsOk());
  ASSERT_THAT(store.MarkUsed("new", kNow + absl::Minutes(5)), IsOk());
  EXPECT_THAT(store.DeleteExpired(kNow + absl::Seconds(1)), IsOkAndHolds(1));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_THAT(store.MarkUsed("new", kNow + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace jit::auth::oidc::testing
