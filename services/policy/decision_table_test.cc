// The table-driven decision suite: every case of every table under
// services/policy/testdata/decisions/, run against the decision logic. A failing case is
// reported under its own name: Tables/DecisionTableTest.Case/<table>__<case>.
#include "services/policy/testing/decision_table.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy::testing {
namespace {

constexpr char kTablesDir[] = "services/policy/testdata/decisions";
constexpr size_t kMinimumCases = 150;

struct Suite {
  absl::Status load_status;
  std::vector<DecisionTable> tables;
  std::map<std::string, absl::StatusOr<std::shared_ptr<const RoleSnapshot>>> snapshots;
};

const Suite& GetSuite() {
  static const Suite* suite = [] {
    auto* s = new Suite();
    absl::StatusOr<std::vector<DecisionTable>> tables = LoadDecisionTables(kTablesDir);
    if (!tables.ok()) {
      s->load_status = tables.status();
      return s;
    }
    s->tables = *std::move(tables);
    for (const DecisionTable& table : s->tables) {
      s->snapshots.emplace(table.name, RoleSnapshot::Create(table.roles, 1));
    }
    return s;
  }();
  return *suite;
}

std::vector<DecisionCase> AllCases() {
  std::vector<DecisionCase> cases;
  for (const DecisionTable& table : GetSuite().tables) {
    cases.insert(cases.end(), table.cases.begin(), table.cases.end());
  }
  return cases;
}

TEST(DecisionTablesTest, TablesLoad) {
  ASSERT_TRUE(GetSuite().load_status.ok()) << GetSuite().load_status;
}

TEST(DecisionTablesTest, HasAtLeast150Cases) { EXPECT_GE(AllCases().size(), kMinimumCases); }

TEST(DecisionTablesTest, EveryDecisionKindIsCovered) {
  std::map<std::string, int> by_kind;
  for (const DecisionCase& c : AllCases()) ++by_kind[DecisionKindName(c.kind)];
  for (const char* kind : {"check_access", "check_request", "check_review", "compute_cert_params",
                           "check_permission"}) {
    EXPECT_GE(by_kind[kind], 10) << kind;
  }
}

class DecisionTableTest : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DecisionTableTest, Case) {
  const DecisionCase& c = GetParam();
  const auto& snapshot = GetSuite().snapshots.at(c.table);
  ASSERT_TRUE(snapshot.ok()) << c.table << ": " << snapshot.status();
  const DecisionOutcome outcome = RunCaseAgainstLogic(c, **snapshot);
  const std::vector<std::string> failures = CheckOutcome(c, outcome);
  EXPECT_TRUE(failures.empty()) << c.table << ".yaml:" << c.line << " case " << c.name << " ("
                                << DecisionKindName(c.kind) << "):\n"
                                << absl::StrJoin(failures, "\n");
}

INSTANTIATE_TEST_SUITE_P(Tables, DecisionTableTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<DecisionCase>& info) {
                           return info.param.test_name();
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecisionTableTest);

}  // namespace
}  // namespace jit::policy::testing
