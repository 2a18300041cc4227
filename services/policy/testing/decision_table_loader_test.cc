#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_join.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/testing/decision_table.h"

namespace jit::policy::testing {
namespace {

using ::jit::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class DecisionTableLoaderTest : public ::testing::Test {
 protected:
  std::string WriteTable(const std::string& text) {
    const std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                             "/table_" + std::to_string(counter_++) + ".yaml";
    std::ofstream(path) << text;
    return path;
  }
  int counter_ = 0;
};

constexpr char kRoles[] = R"(
roles:
  - {kind: role, version: v7, metadata: {name: dev},
     spec: {allow: {logins: [ubuntu], node_labels: {env: dev}}}}
)";

TEST_F(DecisionTableLoaderTest, LoadsCasesWithShorthands) {
  ASSERT_OK_AND_ASSIGN(DecisionTable table, LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - name: ok
    tags: [grpc]
    check_access:
      identity: {name: u, roles: [dev], traits: {logins: [a]}}
      resource: {kind: node, labels: {env: dev}, login: ubuntu}
    expect: {allowed: true}
)")));
  ASSERT_EQ(table.roles.size(), 1u);
  ASSERT_EQ(table.cases.size(), 1u);
  const DecisionCase& c = table.cases[0];
  EXPECT_EQ(c.kind, DecisionKind::kCheckAccess);
  EXPECT_THAT(c.tags, Contains("grpc"));
  const auto& request = static_cast<const jit::policy::v1::CheckAccessRequest&>(*c.request);
  EXPECT_EQ(request.resource().kind(), jit::policy::v1::Resource::KIND_NODE);
  EXPECT_EQ(request.identity().traits().at("logins").values(0), "a");
}

TEST_F(DecisionTableLoaderTest, RejectsUnknownCaseKeys) {
  EXPECT_THAT(
      LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - name: typo
    check_acess: {}
    expect: {allowed: true}
)")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown case key \"check_acess\"")));
}

TEST_F(DecisionTableLoaderTest, RejectsDuplicateNamesAndMissingExpectations) {
  EXPECT_THAT(LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - {name: a, check_permission: {resource: role, verb: read}, expect: {allowed: false}}
  - {name: a, check_permission: {resource: role, verb: read}, expect: {allowed: false}}
)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate case name")));
  EXPECT_THAT(LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - {name: a, check_permission: {resource: role, verb: read}}
)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs expect or error")));
}

TEST_F(DecisionTableLoaderTest, RejectsUnknownRequestFields) {
  EXPECT_THAT(LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - {name: a, check_permission: {resource: role, verbb: read}, expect: {allowed: false}}
)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request")));
}

TEST_F(DecisionTableLoaderTest, RejectsInvalidRoles) {
  EXPECT_THAT(LoadDecisionTable(WriteTable(R"(
roles:
  - {kind: role, version: v9, metadata: {name: dev}}
cases: []
)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown version \"v9\"")));
}

// The suite can fail: wrong expectations are reported.
TEST_F(DecisionTableLoaderTest, CheckOutcomeReportsMismatches) {
  ASSERT_OK_AND_ASSIGN(DecisionTable table, LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - name: wrong_allowed
    check_access:
      identity: {name: u, roles: [dev]}
      resource: {kind: node, labels: {env: dev}, login: ubuntu}
    expect: {allowed: false}
  - name: wrong_explanation
    check_access:
      identity: {name: u, roles: [dev]}
      resource: {kind: node, labels: {env: dev}, login: ubuntu}
    expect: {allowed: true}
    explanation_contains: ["denied"]
    explanation_matches: [{role: dev, side: deny}]
  - name: wrong_error
    check_access:
      identity: {name: u, roles: [dev]}
      resource: {kind: node, labels: {env: dev}, login: ubuntu}
    error: {code: INVALID_ARGUMENT, contains: x}
  - name: right
    check_access:
      identity: {name: u, roles: [dev]}
      resource: {kind: node, labels: {env: dev}, login: ubuntu}
    expect: {allowed: true, mfa_required: false}
    explanation_contains: ['allowed by role "dev"']
)")));
  ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create(table.roles));
  auto failures_of = [&](int i) {
    return CheckOutcome(table.cases[i], RunCaseAgainstLogic(table.cases[i], *snapshot));
  };
  EXPECT_THAT(absl::StrJoin(failures_of(0), "\n"), HasSubstr("allowed differs"));
  const std::string explanation_failures = absl::StrJoin(failures_of(1), "\n");
  EXPECT_THAT(explanation_failures, HasSubstr("lacks \"denied\""));
  EXPECT_THAT(explanation_failures, HasSubstr("no explanation match like"));
  EXPECT_THAT(absl::StrJoin(failures_of(2), "\n"), HasSubstr("expected error INVALID_ARGUMENT"));
  EXPECT_THAT(failures_of(3), IsEmpty());
}

TEST_F(DecisionTableLoaderTest, UnlistedFieldsAreNotCompared) {
  ASSERT_OK_AND_ASSIGN(DecisionTable table, LoadDecisionTable(WriteTable(std::string(kRoles) + R"(
cases:
  - name: partial
    compute_cert_params:
      identity: {name: u, roles: [dev]}
    expect:
      params: {logins: [ubuntu]}
)")));
  ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create(table.roles));
  EXPECT_THAT(CheckOutcome(table.cases[0], RunCaseAgainstLogic(table.cases[0], *snapshot)),
              IsEmpty());
}

}  // namespace
}  // namespace jit::policy::testing
