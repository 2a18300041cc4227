#include "services/policy/role_parser.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::RequestReasonRule;
using ::jit::common::v1::Role;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in("services/policy/testdata/roles/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(RoleParserTest, ArticleRoleLoadsAsWritten) {
  ASSERT_OK_AND_ASSIGN(Role role, ParseRoleDocument(ReadTestdata("developer-read-only-jit.yaml")));
  EXPECT_EQ(role.kind(), "role");
  EXPECT_EQ(role.version(), "v5");
  EXPECT_EQ(role.metadata().name(), "developer-read-only-jit");
  const auto& allow = role.spec().allow();
  EXPECT_THAT(allow.logins(), ElementsAre("devops"));
  EXPECT_THAT(allow.kubernetes_groups(), ElementsAre("system:authenticated"));
  EXPECT_THAT(allow.kubernetes_labels().at("teleport.dev/cluster").values(),
              ElementsAre("production"));
  EXPECT_THAT(allow.kubernetes_labels().at("kubernetes.io/metadata.name").values(),
              ElementsAre("web-app-namespace"));
  EXPECT_EQ(allow.db_labels().size(), 3);
  EXPECT_THAT(allow.db_labels().at("db-type").values(), ElementsAre("postgres"));
  EXPECT_THAT(allow.db_names(), ElementsAre("web_app_db"));
  EXPECT_THAT(allow.db_users(), ElementsAre("readonly_user"));
  EXPECT_THAT(allow.node_labels().at("*").values(), ElementsAre("*"));
  EXPECT_THAT(allow.app_labels().at("app").values(), ElementsAre("internal-dashboard"));
  EXPECT_FALSE(role.spec().has_deny() && role.spec().deny().ByteSizeLong() > 0);
  EXPECT_EQ(role.spec().options().max_session_ttl().seconds(), 3600);
  EXPECT_TRUE(role.spec().options().require_mfa());
  EXPECT_THAT(role.spec().options().record_session(),
              ElementsAre("ssh", "kubernetes", "db", "app"));
}

TEST(RoleParserTest, ScenarioRolesLoad) {
  ASSERT_OK_AND_ASSIGN(Role developer, ParseRoleDocument(ReadTestdata("developer.yaml")));
  const auto& request = developer.spec().allow().request();
  EXPECT_THAT(request.roles(), ElementsAre("developer-read-only-jit"));
  EXPECT_EQ(request.reason().mode(), RequestReasonRule::MODE_REQUIRED);
  ASSERT_EQ(request.thresholds_size(), 1);
  EXPECT_EQ(request.thresholds(0).filter(), "contains(reviewer.roles, \"jit-approver\")");
  ASSERT_OK_AND_ASSIGN(Role approver, ParseRoleDocument(ReadTestdata("jit-approver.yaml")));
  EXPECT_EQ(approver.spec().allow().review_requests().where(), "!equals(request.reason, \"\")");
}

TEST(RoleParserTest, ErrorsQuoteTheDocumentBounded) {
  const std::string big(50'000, 'k');
  // A duplicate label key (explicit "? key" form: yaml-cpp caps implicit keys at 1 KiB).
  absl::StatusOr<Role> role =
      ParseRoleDocument("kind: role\nversion: v7\nmetadata:\n  name: r\n  labels:\n    ? " + big +
                        "\n    : a\n    ? " + big + "\n    : b\n");
  EXPECT_THAT(role, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("...\" (50000 bytes)")));
  EXPECT_LT(role.status().message().size(), 1024u);
  // A value of the wrong type, quoted in the error.
  role = ParseRoleDocument(
      "kind: role\nversion: v7\nmetadata: {name: r}\n"
      "spec: {options: {require_mfa: " +
      big + "}}\n");
  EXPECT_THAT(role, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("expected a boolean (true or false), got \"kkk")));
  EXPECT_LT(role.status().message().size(), 1024u);
}

TEST(RoleParserTest, NulWrittenAsAnEscapeIsRefusedWithItsLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata:\n  name: r\n"
                                "  description: \"tab\\tnul\\0\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 5: metadata.description: contains a NUL byte"));
}

TEST(RoleParserTest, JsonWithTheSameStructure) {
  ASSERT_OK_AND_ASSIGN(Role role, ParseRoleDocument(R"json({
    "kind": "role", "version": "v7",
    "metadata": {"name": "dba", "labels": {"team": "storage"}},
    "spec": {
      "allow": {
        "db_labels": {"env": ["prod", "staging"]},
        "db_users": ["{{internal.db_users}}"],
        "request": {"roles": ["db-*"], "max_duration": "4h",
                    "thresholds": [{"name": "two", "approve": 2, "deny": 1}]},
        "rules": [{"resources": ["access_request"], "verbs": ["list", "read"]}]
      },
      "options": {"require_session_mfa": true, "request_ttl": "48h"}
    }
  })json"));
  EXPECT_EQ(role.metadata().labels().at("team"), "storage");
  EXPECT_THAT(role.spec().allow().db_labels().at("env").values(), ElementsAre("prod", "staging"));
  EXPECT_EQ(role.spec().allow().request().max_duration().seconds(), 4 * 3600);
  EXPECT_EQ(role.spec().allow().request().thresholds(0).approve(), 2u);
  EXPECT_THAT(role.spec().allow().rules(0).verbs(), ElementsAre("list", "read"));
  EXPECT_TRUE(role.spec().options().require_mfa());
  EXPECT_EQ(role.spec().options().request_ttl().seconds(), 48 * 3600);
}

TEST(RoleParserTest, SingleStringWhereAListIsExpected) {
  ASSERT_OK_AND_ASSIGN(
      Role role,
      ParseRoleDocument(
          "kind: role\nversion: v6\nmetadata: {name: a}\nspec:\n  allow:\n    logins: ubuntu\n"));
  EXPECT_THAT(role.spec().allow().logins(), ElementsAre("ubuntu"));
}

TEST(RoleParserTest, RecordSessionMapForm) {
  ASSERT_OK_AND_ASSIGN(
      Role role,
      ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n  options:\n"
                        "    record_session: {default: best_effort, db: false, desktop: true}\n"));
  EXPECT_THAT(role.spec().options().record_session(),
              ElementsAre("ssh", "kubernetes", "app", "desktop"));
}

TEST(RoleParserTest, UnknownFieldNamesFieldAndLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata:\n  name: a\nspec:\n"
                                "  allow:\n    lgins: [root]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 7: spec.allow.lgins: unknown field \"lgins\" (known: "
                                 "logins, node_labels")));
}

TEST(RoleParserTest, UnknownTopLevelField) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nstatus: x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 4: status: unknown field \"status\"")));
}

TEST(RoleParserTest, SshCertificateOptionsParse) {
  ASSERT_OK_AND_ASSIGN(Role role,
                       ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                         "  options:\n    forward_agent: true\n"
                                         "    port_forwarding: true\n    pin_source_ip: true\n"));
  EXPECT_TRUE(role.spec().options().forward_agent());
  EXPECT_TRUE(role.spec().options().port_forwarding());
  EXPECT_TRUE(role.spec().options().pin_source_ip());
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  options:\n    pin_source_ip: 1.2.3.4\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 6: spec.options.pin_source_ip: expected a boolean")));
}

TEST(RoleParserTest, WrongTypeNamesExpectation) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    logins: {a: b}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 6: spec.allow.logins: expected a list of strings, got a "
                                 "mapping")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  options:\n    require_mfa: \"yes\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 6: spec.options.require_mfa: expected a boolean")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    request:\n      thresholds:\n"
                                "        - approve: -1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 8: spec.allow.request.thresholds[0].approve: expected a "
                                 "non-negative integer")));
}

TEST(RoleParserTest, UnknownVersion) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v4\nmetadata: {name: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: version: unknown version \"v4\"")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nmetadata: {name: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version: missing")));
}

TEST(RoleParserTest, WrongKind) {
  EXPECT_THAT(ParseRoleDocument("kind: user\nversion: v7\nmetadata: {name: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: kind: \"user\" is not \"role\"")));
}

TEST(RoleParserTest, EmptyAndInvalidName) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata:\n  name: \"\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 4: metadata.name: empty role name")));
  EXPECT_THAT(
      ParseRoleDocument("kind: role\nversion: v7\nmetadata: {description: x}\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metadata.name: empty role name")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata:\n  name: Has Space\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 4: metadata.name: invalid role name \"Has Space\"")));
}

TEST(RoleParserTest, BadRegexNamesLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    node_labels:\n      env: [prod, \"^(x$\"]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 7: spec.allow.node_labels[\"env\"][1]: invalid regular "
                                 "expression \"^(x$\"")));
}

TEST(RoleParserTest, BadDurationNamesLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  options:\n    max_session_ttl: 1 hour\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 6: spec.options.max_session_ttl: invalid duration "
                                 "\"1 hour\"")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    request:\n      max_duration: 3600\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 7: spec.allow.request.max_duration: invalid duration "
                                 "\"3600\": missing unit")));
}

TEST(RoleParserTest, BadPredicateNamesLineAndPosition) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    review_requests:\n      roles: [x]\n"
                                "      where: 'contains(reviewer.roles \"x\")'\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 8: spec.allow.review_requests.where: predicate at "
                                 "position 25")));
}

TEST(RoleParserTest, BadTemplateNamesLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    logins:\n      - root2\n"
                                "      - '{{internal.secrets}}'\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 8: spec.allow.logins[1]: template")));
}

TEST(RoleParserTest, DuplicateFieldRejected) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  allow:\n    logins: [a]\n    logins: [b]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 7: spec.allow.logins: duplicate field \"logins\"")));
}

TEST(RoleParserTest, RequireSessionMfaConflictRejected) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  options:\n    require_mfa: true\n"
                                "    require_session_mfa: false\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 7: spec.options.require_session_mfa: conflicts")));
}

TEST(RoleParserTest, MalformedYamlNamesLine) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: [v7\nmetadata: {name: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed YAML/JSON")));
  EXPECT_THAT(ParseRoleDocument("{\"kind\": \"role\",,}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST(RoleParserTest, StrayCommaDoesNotHangTheParser) {
  // yaml-cpp 0.7's LoadAll loops forever on these; the parser must answer.
  for (const char* doc : {",", ",a", "\n,", "\"a\"\n,", "[a],", "{a: 1},", "# c\n,"}) {
    EXPECT_THAT(ParseRoleDocuments(doc),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed YAML/JSON")))
        << doc;
  }
}

TEST(RoleParserTest, NotAMappingRejected) {
  EXPECT_THAT(
      ParseRoleDocument("- a\n- b\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a role document must be a mapping")));
}

TEST(RoleParserTest, EmptyAndMultipleDocuments) {
  EXPECT_THAT(ParseRoleDocument("# nothing\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty role document")));
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\n---\n"
                                "kind: role\nversion: v7\nmetadata: {name: b}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("found 2")));
}

TEST(RoleParserTest, ParseRoleDocumentsReadsAStream) {
  ASSERT_OK_AND_ASSIGN(std::vector<Role> roles,
                       ParseRoleDocuments("kind: role\nversion: v7\nmetadata: {name: a}\n---\n"
                                          "kind: role\nversion: v7\nmetadata: {name: b}\n"));
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[1].metadata().name(), "b");
}

TEST(RoleParserTest, ErrorInSecondDocumentNamesItsLine) {
  EXPECT_THAT(ParseRoleDocuments("kind: role\nversion: v7\nmetadata: {name: a}\n---\n"
                                 "kind: role\nversion: v9\nmetadata: {name: b}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 6: version")));
}

TEST(RoleParserTest, DenyRequestThresholdsRejected) {
  EXPECT_THAT(ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n"
                                "  deny:\n    request:\n      roles: [x]\n"
                                "      thresholds: [{approve: 2}]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 8: spec.deny.request.thresholds: not allowed under deny")));
}

TEST(RoleParserTest, NodeLimitStopsTheParseBeforeNodesAreBuilt) {
  // 200k list items in 400 KB: too many nodes (a file of several roles may be this large).
  std::string doc = "kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n  allow:\n    logins: [a";
  for (int i = 0; i < 200'000; ++i) doc += ",a";
  doc += "]\n";
  EXPECT_THAT(ParseRoleDocuments(doc),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 6: document has more than 20000 nodes")));
  // As one role (UpsertRole's role_document) it is over the size limit first.
  EXPECT_THAT(ParseRoleDocument(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("bytes is larger than 262144 bytes")));
}

TEST(RoleParserTest, DepthLimitStopsDeepNesting) {
  std::string doc = "kind: role\nversion: v7\nmetadata: {name: a, description: ";
  doc += std::string(100, '[') + std::string(100, ']') + "}\n";
  EXPECT_THAT(ParseRoleDocument(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("document nests deeper than 32 levels")));
}

TEST(RoleParserTest, AliasExpansionIsBounded) {
  // One list of 1000 values, referred to by 100 label keys: 1100 nodes in the text, 100k
  // once aliases are followed.
  std::string doc =
      "kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n  allow:\n"
      "    logins: &big [v0";
  for (int i = 1; i < 1000; ++i) doc += absl::StrCat(", v", i);
  doc += "]\n    node_labels:\n";
  for (int i = 0; i < 100; ++i) doc += absl::StrCat("      k", i, ": *big\n");
  EXPECT_THAT(ParseRoleDocument(doc),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("document too large or too deeply aliased")));
}

TEST(RoleParserTest, MetadataLabelsAreBoundedLikeEveryOtherMap) {
  std::string doc = "kind: role\nversion: v7\nmetadata:\n  name: a\n  labels:\n";
  for (int i = 0; i < 1025; ++i) doc += absl::StrCat("    k", i, ": v\n");
  EXPECT_THAT(ParseRoleDocument(doc),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("metadata.labels: more than 1024 entries")));
}

TEST(RoleParserTest, AliasesAreFollowed) {
  ASSERT_OK_AND_ASSIGN(
      Role role,
      ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: a}\nspec:\n  allow:\n"
                        "    logins: &shared [ubuntu]\n    kubernetes_users: *shared\n"));
  EXPECT_THAT(role.spec().allow().kubernetes_users(), ElementsAre("ubuntu"));
}

TEST(RoleParserTest, OversizedDocumentRejected) {
  EXPECT_THAT(ParseRoleDocument(std::string(kMaxRoleDocumentSize + 1, ' ')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than")));
}

}  // namespace
}  // namespace jit::policy
