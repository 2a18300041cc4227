#include "services/auth/oidc/claims_mapping.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth::oidc {
namespace {

using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const nlohmann::json kClaims = {{"email", "alice@ops.example.com"},
                                {"groups", {"admins", "team-a", "team-b", 7}},
                                {"employee", true},
                                {"nested", {{"x", 1}}}};

TEST(ClaimsMapperTest, ExactGlobAndRegexRules) {
  ASSERT_OK_AND_ASSIGN(
      ClaimsMapper mapper,
      ClaimsMapper::Create(
          {{.claim = "groups", .value = "admins", .roles = {"admin", "auditor"}},
           {.claim = "groups", .value = "team-*", .roles = {"dev"}},
           {.claim = "email", .value = "^(.*)@ops\\.example\\.com$", .roles = {"ops-$1"}},
           {.claim = "employee", .value = "true", .roles = {"staff"}},
           {.claim = "groups", .value = "7", .roles = {"seven"}},
           {.claim = "missing", .value = "*", .roles = {"never"}}},
          {}));
  EXPECT_THAT(mapper.Map(kClaims).roles,
              ElementsAre("admin", "auditor", "dev", "ops-alice", "seven", "staff"));
}

TEST(ClaimsMapperTest, GlobMatchesTheWholeValueAndEscapesMetacharacters) {
  ASSERT_OK_AND_ASSIGN(ClaimsMapper mapper,
                       ClaimsMapper::Create({{.claim = "g", .value = "a.b*", .roles = {"r"}}}, {}));
  EXPECT_THAT(mapper.Map({{"g", "a.bc"}}).roles, ElementsAre("r"));
  EXPECT_THAT(mapper.Map({{"g", "axbc"}}).roles, IsEmpty());
  EXPECT_THAT(mapper.Map({{"g", "za.b"}}).roles, IsEmpty());
}

TEST(ClaimsMapperTest, TraitsCopyOrExtractValues) {
  ASSERT_OK_AND_ASSIGN(
      ClaimsMapper mapper,
      ClaimsMapper::Create({},
                           {{.claim = "email", .trait = "logins", .value = "^([^@]+)@.*$"},
                            {.claim = "groups", .trait = "kubernetes_groups", .value = "team-*"},
                            {.claim = "groups", .trait = "all_groups"},
                            {.claim = "nested", .trait = "never"}}));
  MappedClaims m = mapper.Map(kClaims);
  EXPECT_THAT(m.traits.at("logins"), ElementsAre("alice"));
  EXPECT_THAT(m.traits.at("kubernetes_groups"), ElementsAre("team-a", "team-b"));
  EXPECT_THAT(m.traits.at("all_groups"), ElementsAre("admins", "team-a", "team-b", "7"));
  EXPECT_FALSE(m.traits.contains("never"));
}

TEST(ClaimsMapperTest, InvalidRulesNameTheirPosition) {
  EXPECT_THAT(ClaimsMapper::Create({{.claim = "g", .value = "^(a$", .roles = {"r"}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("claims_to_roles[0]")));
  EXPECT_THAT(ClaimsMapper::Create({{.claim = "g", .value = "a", .roles = {}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles is empty")));
  EXPECT_THAT(ClaimsMapper::Create({{.claim = "g", .value = "a*", .roles = {"r-$1"}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("regex")));
  EXPECT_THAT(ClaimsMapper::Create({{.claim = "g", .value = "^(a)$", .roles = {"r-$2"}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ClaimsMapper::Create({}, {{.claim = "g", .trait = "has space"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("claims_to_traits[0]")));
}

}  // namespace
}  // namespace jit::auth::oidc
