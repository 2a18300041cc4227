#include "common/auth/spiffe.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;

TEST(SpiffeTest, FormatsAndParsesServiceAndUserIds) {
  EXPECT_EQ(ServiceSpiffeId("ca"), "spiffe://jit-access/service/ca");
  ASSERT_OK_AND_ASSIGN(SpiffeId svc, ParseSpiffeId("spiffe://jit-access/service/ca"));
  EXPECT_EQ(svc.kind, SpiffeId::Kind::kService);
  EXPECT_EQ(svc.name, "ca");
  ASSERT_OK_AND_ASSIGN(SpiffeId user, ParseSpiffeId(UserSpiffeId("alice@example.com")));
  EXPECT_EQ(user.kind, SpiffeId::Kind::kUser);
  EXPECT_EQ(user.name, "alice@example.com");
}

TEST(SpiffeTest, FormatsAndParsesHostIds) {
  EXPECT_EQ(HostSpiffeId("db1.example.com"), "spiffe://jit-access/host/db1.example.com");
  ASSERT_OK_AND_ASSIGN(SpiffeId host, ParseSpiffeId("spiffe://jit-access/host/10.0.0.5"));
  EXPECT_EQ(host.kind, SpiffeId::Kind::kHost);
  EXPECT_EQ(host.name, "10.0.0.5");
  for (const char* bad :
       {"spiffe://jit-access/host/", "spiffe://jit-access/host/DB1", "spiffe://jit-access/host/-x",
        "spiffe://jit-access/host/a/b", "spiffe://jit-access/host/a_b"}) {
    EXPECT_THAT(ParseSpiffeId(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(SpiffeTest, RejectsAnythingElse) {
  for (const char* bad : {
           "spiffe://other/service/ca",
           "spiffe://jit-access/service/",
           "spiffe://jit-access/service/CA",
           "spiffe://jit-access/service/ca/",
           "spiffe://jit-access/service/ca?x=1",
           "spiffe://jit-access/service/ca/x",
           "spiffe://jit-access:443/service/ca",
           "spiffe://jit-access/workload/ca",
           "https://jit-access/service/ca",
           "",
           "spiffe://jit-access/user/a b",
           "SPIFFE://jit-access/service/ca",
       }) {
    EXPECT_THAT(ParseSpiffeId(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(SpiffeTest, NameRules) {
  EXPECT_TRUE(IsValidServiceName("requests"));
  EXPECT_TRUE(IsValidServiceName("my-worker2"));
  EXPECT_FALSE(IsValidServiceName("2fast"));
  EXPECT_FALSE(IsValidServiceName("a_b"));
  EXPECT_FALSE(IsValidServiceName(std::string(64, 'a')));
  EXPECT_TRUE(IsValidUserName("Alice.B_c-d@x"));
  EXPECT_FALSE(IsValidUserName("a/b"));
  EXPECT_FALSE(IsValidUserName(std::string(65, 'a')));
}

}  // namespace
}  // namespace jit::auth
