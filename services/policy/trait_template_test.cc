#include "services/policy/trait_template.h"

#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Traits MakeTraits(std::initializer_list<std::pair<std::string, std::vector<std::string>>> in) {
  Traits traits;
  for (const auto& [key, values] : in) {
    for (const std::string& v : values) traits[key].add_values(v);
  }
  return traits;
}

std::vector<std::string> ExpandOf(absl::string_view source, const Traits& traits) {
  absl::StatusOr<TraitTemplate> t = TraitTemplate::Parse(source);
  EXPECT_TRUE(t.ok()) << t.status();
  std::vector<std::string> out;
  if (t.ok()) t->Expand(traits, &out);
  return out;
}

TEST(TraitTemplateTest, InternalLoginsExpandsEveryValue) {
  Traits traits = MakeTraits({{"logins", {"alice", "ops"}}});
  EXPECT_THAT(ExpandOf("{{internal.logins}}", traits), ElementsAre("alice", "ops"));
}

TEST(TraitTemplateTest, ExternalClaimDotAndBracketForms) {
  Traits traits = MakeTraits({{"team", {"sre"}}, {"cost-center", {"42"}}});
  EXPECT_THAT(ExpandOf("{{external.team}}", traits), ElementsAre("sre"));
  EXPECT_THAT(ExpandOf("{{ external[\"cost-center\"] }}", traits), ElementsAre("42"));
}

TEST(TraitTemplateTest, PrefixAndSuffixSurroundEachValue) {
  Traits traits = MakeTraits({{"team", {"sre", "dba"}}});
  EXPECT_THAT(ExpandOf("team-{{external.team}}-prod", traits),
              ElementsAre("team-sre-prod", "team-dba-prod"));
}

TEST(TraitTemplateTest, EmailLocalTakesThePartBeforeTheAt) {
  Traits traits = MakeTraits({{"email", {"alice@example.com", "not-an-email", "@bad.com"}}});
  EXPECT_THAT(ExpandOf("{{email.local(external.email)}}", traits), ElementsAre("alice"));
}

TEST(TraitTemplateTest, RegexpReplaceRewritesMatchesAndDropsTheRest) {
  Traits traits = MakeTraits({{"groups", {"admin-db", "admin-web", "users"}}});
  EXPECT_THAT(ExpandOf("{{regexp.replace(external.groups, \"^admin-(.*)$\", \"$1-ops\")}}", traits),
              ElementsAre("db-ops", "web-ops"));
}

TEST(TraitTemplateTest, RegexpReplaceWithGlobPattern) {
  Traits traits = MakeTraits({{"groups", {"env-prod", "other"}}});
  EXPECT_THAT(ExpandOf("{{regexp.replace(external.groups, \"env-*\", \"${1}\")}}", traits),
              ElementsAre("prod"));
}

TEST(TraitTemplateTest, NestedFunctions) {
  Traits traits = MakeTraits({{"email", {"alice.smith@example.com"}}});
  EXPECT_THAT(ExpandOf("{{regexp.replace(email.local(external.email), \"^(.*)\\\\.(.*)$\", "
                       "\"$2\")}}",
                       traits),
              ElementsAre("smith"));
}

TEST(TraitTemplateTest, MissingTraitYieldsNothing) {
  Traits traits;
  EXPECT_THAT(ExpandOf("{{internal.logins}}", traits), IsEmpty());
  ASSERT_OK_AND_ASSIGN(TraitTemplate t, TraitTemplate::Parse("{{internal.logins}}"));
  EXPECT_FALSE(t.YieldsAny(traits));
  EXPECT_FALSE(t.Yields(traits, ""));
}

TEST(TraitTemplateTest, WildcardAndControlCharacterValuesAreDropped) {
  Traits traits = MakeTraits({{"logins", {"*", "root*", "ok", "bad\nline", ""}}});
  EXPECT_THAT(ExpandOf("{{internal.logins}}", traits), ElementsAre("ok"));
  ASSERT_OK_AND_ASSIGN(TraitTemplate t, TraitTemplate::Parse("{{internal.logins}}"));
  EXPECT_FALSE(t.Yields(traits, "*"));
}

TEST(TraitTemplateTest, YieldsComparesWithoutExpanding) {
  Traits traits = MakeTraits({{"team", {"sre", "dba"}}});
  ASSERT_OK_AND_ASSIGN(TraitTemplate t, TraitTemplate::Parse("team-{{external.team}}"));
  EXPECT_TRUE(t.Yields(traits, "team-dba"));
  EXPECT_FALSE(t.Yields(traits, "team-web"));
  EXPECT_FALSE(t.Yields(traits, "dba"));
  EXPECT_FALSE(t.Yields(traits, "team-"));
}

TEST(TraitTemplateTest, RejectsUnknownInternalTrait) {
  EXPECT_THAT(TraitTemplate::Parse("{{internal.passwords}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown internal trait \"passwords\"")));
}

TEST(TraitTemplateTest, RejectsUnknownNamespaceAndFunction) {
  EXPECT_THAT(TraitTemplate::Parse("{{secrets.x}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown namespace")));
  EXPECT_THAT(TraitTemplate::Parse("{{email.upper(external.x)}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown function")));
}

TEST(TraitTemplateTest, RejectsUnbalancedAndRepeatedBraces) {
  EXPECT_THAT(TraitTemplate::Parse("{{internal.logins"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unbalanced")));
  EXPECT_THAT(TraitTemplate::Parse("{{external.a}}-{{external.b}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only one")));
}

TEST(TraitTemplateTest, RejectsBadRegexpReplaceArguments) {
  EXPECT_THAT(
      TraitTemplate::Parse("{{regexp.replace(external.g, \"^(a$\", \"$1\")}}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid regular expression")));
  EXPECT_THAT(TraitTemplate::Parse("{{regexp.replace(external.g, \"^(a)$\", \"$2\")}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replacement")));
  EXPECT_THAT(TraitTemplate::Parse("{{regexp.replace(external.g, \"^(a)$\")}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes 3 arguments")));
  EXPECT_THAT(TraitTemplate::Parse("{{regexp.replace(external.g, \"^(a)$\", \"$name\")}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("numbered groups")));
}

TEST(TraitTemplateTest, ContainsTemplateDetectsBraces) {
  EXPECT_TRUE(ContainsTemplate("{{internal.logins}}"));
  EXPECT_TRUE(ContainsTemplate("a}}"));
  EXPECT_FALSE(ContainsTemplate("plain-{value}"));
}

}  // namespace
}  // namespace jit::policy
