#include "services/policy/compiled_role.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/policy/field_error.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::Role;
using ::jit::common::v1::StringList;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

Role RoleFromText(const std::string& text) {
  Role role;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &role)) << text;
  return role;
}

google::protobuf::Map<std::string, StringList> Selector(
    std::initializer_list<std::pair<std::string, std::vector<std::string>>> in) {
  google::protobuf::Map<std::string, StringList> out;
  for (const auto& [key, values] : in) {
    for (const std::string& v : values) out[key].add_values(v);
  }
  return out;
}

LabelMap Labels(std::initializer_list<std::pair<std::string, std::string>> in) {
  LabelMap out;
  for (const auto& [k, v] : in) out[k] = v;
  return out;
}

CompiledLabelSelector MustSelector(const google::protobuf::Map<std::string, StringList>& s) {
  absl::StatusOr<CompiledLabelSelector> c = CompiledLabelSelector::Create(s, "test");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(LabelSelectorTest, EmptySelectorMatchesNothing) {
  CompiledLabelSelector empty = MustSelector({});
  EXPECT_FALSE(empty.Matches(Labels({}), {}));
  EXPECT_FALSE(empty.Matches(Labels({{"env", "prod"}}), {}));
}

TEST(LabelSelectorTest, WildcardKeyAndValueMatchesUnlabelledResources) {
  CompiledLabelSelector all = MustSelector(Selector({{"*", {"*"}}}));
  EXPECT_TRUE(all.Matches(Labels({}), {}));
  EXPECT_TRUE(all.Matches(Labels({{"env", "prod"}}), {}));
}

TEST(LabelSelectorTest, KeysAreAndedValuesAreOred) {
  CompiledLabelSelector s =
      MustSelector(Selector({{"env", {"prod", "staging"}}, {"team", {"db"}}}));
  EXPECT_TRUE(s.Matches(Labels({{"env", "staging"}, {"team", "db"}}), {}));
  EXPECT_FALSE(s.Matches(Labels({{"env", "staging"}, {"team", "web"}}), {}));
  EXPECT_FALSE(s.Matches(Labels({{"env", "staging"}}), {}));
}

TEST(LabelSelectorTest, WildcardValueNeedsTheKey) {
  CompiledLabelSelector s = MustSelector(Selector({{"env", {"*"}}}));
  EXPECT_TRUE(s.Matches(Labels({{"env", "anything"}}), {}));
  EXPECT_FALSE(s.Matches(Labels({{"team", "x"}}), {}));
}

TEST(LabelSelectorTest, GlobAndRegexValues) {
  CompiledLabelSelector s = MustSelector(Selector({{"host", {"web-*", "^db-[0-9]+$"}}}));
  EXPECT_TRUE(s.Matches(Labels({{"host", "web-7"}}), {}));
  EXPECT_TRUE(s.Matches(Labels({{"host", "db-12"}}), {}));
  EXPECT_FALSE(s.Matches(Labels({{"host", "db-x"}}), {}));
}

TEST(LabelSelectorTest, TemplateValuesCompareLiterally) {
  CompiledLabelSelector s = MustSelector(Selector({{"team", {"{{external.team}}"}}}));
  Traits traits;
  traits["team"].add_values("storage");
  EXPECT_TRUE(s.Matches(Labels({{"team", "storage"}}), traits));
  EXPECT_FALSE(s.Matches(Labels({{"team", "web"}}), traits));
  Traits wildcard_trait;
  wildcard_trait["team"].add_values("*");
  EXPECT_FALSE(s.Matches(Labels({{"team", "web"}}), wildcard_trait));
}

TEST(LabelSelectorTest, TemplateYieldingNothingNeverWidens) {
  // Teleport drops a key whose values all interpolate to nothing, which widens the
  // selector; here the key stays and matches nothing.
  CompiledLabelSelector s =
      MustSelector(Selector({{"env", {"*"}}, {"team", {"{{external.team}}"}}}));
  EXPECT_FALSE(s.Matches(Labels({{"env", "prod"}, {"team", "storage"}}), {}));
}

TEST(LabelSelectorTest, ExplainNamesTheMissingKey) {
  CompiledLabelSelector s = MustSelector(Selector({{"env", {"prod"}}}));
  EXPECT_THAT(s.Explain(Labels({}), {}), HasSubstr("no label \"env\""));
  EXPECT_THAT(s.Explain(Labels({{"env", "dev"}}), {}), HasSubstr("env=dev does not match [prod]"));
  EXPECT_THAT(s.Explain(Labels({{"env", "prod"}}), {}), HasSubstr("matched env=prod"));
}

TEST(LabelSelectorTest, RejectsTemplatesInKeysAndEmptyValueLists) {
  EXPECT_THAT(CompiledLabelSelector::Create(Selector({{"{{external.k}}", {"v"}}}), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label keys")));
  google::protobuf::Map<std::string, StringList> empty_values;
  empty_values["env"];
  EXPECT_THAT(CompiledLabelSelector::Create(empty_values, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no values")));
}

TEST(ValueListTest, LiteralsWildcardAndTemplates) {
  google::protobuf::RepeatedPtrField<std::string> values;
  values.Add("ubuntu");
  values.Add("{{internal.logins}}");
  ASSERT_OK_AND_ASSIGN(CompiledValueList list,
                       CompiledValueList::Create(values, /*allow_wildcard=*/false, "logins"));
  Traits traits;
  traits["logins"].add_values("alice");
  EXPECT_TRUE(list.Contains("ubuntu", traits));
  EXPECT_TRUE(list.Contains("alice", traits));
  EXPECT_FALSE(list.Contains("root", traits));
  std::vector<std::string> expanded;
  list.Expand(traits, &expanded);
  EXPECT_THAT(expanded, ElementsAre("ubuntu", "alice"));
}

TEST(ValueListTest, WildcardOnlyWhereAllowed) {
  google::protobuf::RepeatedPtrField<std::string> values;
  values.Add("*");
  EXPECT_THAT(CompiledValueList::Create(values, false, "spec.allow.logins"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("spec.allow.logins[0]: the wildcard")));
  ASSERT_OK_AND_ASSIGN(CompiledValueList any, CompiledValueList::Create(values, true, "db_users"));
  EXPECT_TRUE(any.Contains("postgres", {}));
}

TEST(CompiledRoleTest, CompilesAFullRole) {
  ASSERT_OK_AND_ASSIGN(
      auto role, CompiledRole::Create(RoleFromText(R"pb(
        kind: "role"
        version: "v7"
        metadata { name: "dba" }
        spec {
          allow {
            db_labels {
              key: "env"
              value { values: "prod" }
            }
            db_users: "{{internal.db_users}}"
            request {
              roles: "db-*"
              thresholds { name: "two" filter: "contains(reviewer.roles, \"dba\")" approve: 2 }
              max_duration { seconds: 14400 }
              reason { mode: MODE_REQUIRED prompt: "ticket" }
            }
            review_requests { roles: "^db-.*$" where: "true" }
            rules { resources: "access_request" verbs: "list" verbs: "read" }
          }
          deny { logins: "*" }
          options {
            max_session_ttl { seconds: 3600 }
            require_mfa: true
            record_session: "db"
          }
        })pb")));
  EXPECT_EQ(role->name(), "dba");
  ASSERT_EQ(role->allow().thresholds.size(), 1u);
  EXPECT_EQ(role->allow().thresholds[0].approve, 2u);
  EXPECT_EQ(role->allow().thresholds[0].deny, 1u);
  EXPECT_TRUE(role->allow().reason_required);
  EXPECT_EQ(role->allow().request_max_duration, absl::Hours(4));
  EXPECT_NE(role->allow().request_roles.Match("db-admin", {}), nullptr);
  EXPECT_EQ(role->allow().request_roles.Match("web-admin", {}), nullptr);
  EXPECT_EQ(role->allow().rules[0].verbs, kVerbList | kVerbRead);
  EXPECT_TRUE(role->deny().logins.Contains("root", {}));
  EXPECT_EQ(role->options().max_session_ttl, absl::Hours(1));
  EXPECT_EQ(role->options().record_session, kRecordDb);
}

TEST(CompiledRoleTest, ValidationErrorsCarryTheFieldPath) {
  absl::Status status = ValidateRole(RoleFromText(R"pb(
    kind: "role"
    version: "v7"
    metadata { name: "x" }
    spec { allow { rules { resources: "role" verbs: "fly" } } })pb"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("spec.allow.rules[0].verbs[0]: unknown verb \"fly\"")));
  EXPECT_THAT(FieldPathOf(status), Optional(std::string("spec.allow.rules[0].verbs[0]")));
}

TEST(CompiledRoleTest, ProtoValidationMatchesDocumentValidation) {
  EXPECT_THAT(ValidateRole(RoleFromText(R"pb(kind: "role"
                                             version: "v8"
                                             metadata { name: "x" })pb")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown version \"v8\"")));
  EXPECT_THAT(ValidateRole(RoleFromText(R"pb(kind: "role" version: "v7")pb")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty role name")));
  EXPECT_THAT(
      ValidateRole(RoleFromText(R"pb(kind: "role"
                                     version: "v7"
                                     metadata { name: "x" }
                                     spec { options { max_session_ttl { seconds: -1 } } })pb")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("spec.options.max_session_ttl: duration must not be negative")));
  EXPECT_THAT(ValidateRole(RoleFromText(R"pb(kind: "role"
                                             version: "v7"
                                             metadata { name: "x" }
                                             spec { options { record_session: "ftp" } })pb")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown protocol \"ftp\"")));
  EXPECT_THAT(ValidateRole(RoleFromText(R"pb(kind: "role"
                                             version: "v7"
                                             metadata { name: "x" }
                                             spec {
                                               allow {
                                                 request {
                                                   thresholds { name: "a" }
                                                   thresholds { name: "a" }
                                                 }
                                               }
                                             })pb")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate threshold name")));
  EXPECT_THAT(
      ValidateRole(RoleFromText(R"pb(kind: "role"
                                     version: "v7"
                                     metadata { name: "x" }
                                     spec {
                                       allow {
                                         rules {
                                           resources: "role"
                                           verbs: "read"
                                           where: "contains(reviewer.roles, \"a\")"
                                         }
                                       }
                                     })pb")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown variable reviewer.roles")));
}

TEST(CompiledRoleTest, NulAndInvalidUtf8AreRefusedNamingTheField) {
  Role role = RoleFromText(R"pb(kind: "role"
                                version: "v7"
                                metadata { name: "x" })pb");
  role.mutable_metadata()->set_description(std::string("before\0after", 12));
  absl::Status status = ValidateRole(role);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               "metadata.description: contains a NUL byte"));
  EXPECT_THAT(FieldPathOf(status), Optional(std::string("metadata.description")));

  role.mutable_metadata()->clear_description();
  (*role.mutable_metadata()->mutable_labels())["team"] = std::string("d\0b", 3);
  EXPECT_THAT(ValidateRole(role), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "metadata.labels[\"team\"]: contains a NUL byte"));

  role.mutable_metadata()->clear_labels();
  role.mutable_spec()->mutable_allow()->add_logins("\xFF\xFE");
  EXPECT_THAT(ValidateRole(role), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "spec.allow.logins[0]: is not valid UTF-8"));
}

TEST(CompiledRoleTest, LabelsAndSizeAreBoundedAlsoForProtoRoles) {
  Role role = RoleFromText(R"pb(kind: "role"
                                version: "v7"
                                metadata { name: "x" })pb");
  for (int i = 0; i < 100'000; ++i) {
    (*role.mutable_metadata()->mutable_labels())[absl::StrCat("k", i)] = "v";
  }
  EXPECT_THAT(ValidateRole(role),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 256 KiB")));
  role.mutable_metadata()->clear_labels();
  for (int i = 0; i < 1025; ++i) {
    (*role.mutable_metadata()->mutable_labels())[absl::StrCat("k", i)] = "v";
  }
  EXPECT_THAT(ValidateRole(role), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "metadata.labels: more than 1024 entries"));
}

TEST(CompiledRoleTest, RoleNames) {
  EXPECT_TRUE(IsValidRoleName("developer-read-only-jit"));
  EXPECT_TRUE(IsValidRoleName("ops@example.com"));
  EXPECT_FALSE(IsValidRoleName("Dev"));
  EXPECT_FALSE(IsValidRoleName(""));
  EXPECT_FALSE(IsValidRoleName(std::string(254, 'a')));
}

}  // namespace
}  // namespace jit::policy
