#include "services/auth/oidc/state_store.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth::oidc {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

PendingOidcLogin Login(absl::Time expire) {
  return PendingOidcLogin{.connector = "c",
                          .nonce = SecretString(std::string("n")),
                          .pkce_verifier = SecretString(std::string("v")),
                          .redirect_url = "https://x/cb",
                          .expire_time = expire};
}

TEST(InMemoryOidcStateStoreTest, TakeIsSingleUse) {
  InMemoryOidcStateStore store;
  ASSERT_THAT(store.Put("k", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  ASSERT_OK_AND_ASSIGN(PendingOidcLogin got, store.Take("k", kNow));
  EXPECT_EQ(got.nonce.Reveal(), "n");
  EXPECT_THAT(store.Take("k", kNow), StatusIs(absl::StatusCode::kNotFound));
}

TEST(InMemoryOidcStateStoreTest, ConnectorOfDoesNotConsume) {
  InMemoryOidcStateStore store;
  ASSERT_THAT(store.Put("k", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  EXPECT_THAT(store.ConnectorOf("k", kNow), ::jit::testing::IsOkAndHolds("c"));
  EXPECT_THAT(store.Take("k", kNow), IsOk());
  EXPECT_THAT(store.ConnectorOf("k", kNow), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(store.Put("old", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  EXPECT_THAT(store.ConnectorOf("old", kNow + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(OidcStateKeyTest, IsTheHexSha256OfTheState) {
  EXPECT_EQ(OidcStateKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(InMemoryOidcStateStoreTest, ExpiredEntriesAreNotReturned) {
  InMemoryOidcStateStore store;
  ASSERT_THAT(store.Put("k", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  EXPECT_THAT(store.Take("k", kNow + absl::Minutes(5)), StatusIs(absl::StatusCode::kNotFound));
}

TEST(InMemoryOidcStateStoreTest, CollisionsAreRefused) {
  InMemoryOidcStateStore store;
  ASSERT_THAT(store.Put("k", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  EXPECT_THAT(store.Put("k", Login(kNow + absl::Minutes(5)), kNow),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(InMemoryOidcStateStoreTest, FullStoreRefusesUntilEntriesExpire) {
  InMemoryOidcStateStore store(2);
  ASSERT_THAT(store.Put("a", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  ASSERT_THAT(store.Put("b", Login(kNow + absl::Minutes(5)), kNow), IsOk());
  EXPECT_THAT(store.Put("c", Login(kNow + absl::Minutes(5)), kNow),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store.Put("c", Login(kNow + absl::Minutes(15)), kNow + absl::Minutes(5)), IsOk());
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace jit::auth::oidc
