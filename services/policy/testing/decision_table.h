// Decision tables: policy decision test cases kept as YAML under
// services/policy/testdata/decisions/ (the format is in its README.md), loaded here and run
// by the logic suite (decision_table_test.cc) and the gRPC suite
// (decision_table_grpc_test.cc), which judge replies with the same CheckOutcome.
#ifndef JIT_SERVICES_POLICY_TESTING_DECISION_TABLE_H_
#define JIT_SERVICES_POLICY_TESTING_DECISION_TABLE_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "jit/common/v1/role.pb.h"
#include "nlohmann/json.hpp"
#include "services/policy/decision_hook.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy::testing {

inline const absl::Time kDefaultNow = absl::FromUnixSeconds(1'700'000'000);

enum class DecisionKind {
  kCheckAccess,
  kCheckRequest,
  kCheckReview,
  kComputeCertParams,
  kCheckPermission
};

// "check_access", ...
const char* DecisionKindName(DecisionKind kind);

struct DecisionCase {
  std::string table;  // file stem
  std::string name;   // case name
  // "<table>__<name>", a valid gtest parameter name.
  std::string test_name() const { return table + "__" + name; }

  DecisionKind kind = DecisionKind::kCheckAccess;
  // The request proto (CheckAccessRequest, ...). Shared so cases copy cheaply.
  std::shared_ptr<const google::protobuf::Message> request;
  std::vector<std::string> tags;
  absl::Time now = kDefaultNow;
  std::optional<absl::StatusOr<HookVerdict>> hook;

  // Expectations.
  std::optional<absl::StatusCode> error_code;
  std::string error_contains;
  nlohmann::json expect = nlohmann::json::object();
  std::vector<std::string> explanation_contains;
  std::vector<std::string> explanation_excludes;
  std::vector<nlohmann::json> explanation_matches;
  int line = 0;  // of the case in its file
};

struct DecisionTable {
  std::string name;
  std::string path;
  std::vector<jit::common::v1::Role> roles;
  std::vector<DecisionCase> cases;
};

// gtest prints a case by its name.
void PrintTo(const DecisionCase& c, std::ostream* os);

// INVALID_ARGUMENT (naming file, case and line) for any malformed table; NOT_FOUND if the
// file cannot be read.
absl::StatusOr<DecisionTable> LoadDecisionTable(const std::string& path);

// Every *.yaml in `dir`, in name order.
absl::StatusOr<std::vector<DecisionTable>> LoadDecisionTables(const std::string& dir);

// The outcome of running a case: the response proto, or the error Status.
using DecisionOutcome = absl::StatusOr<std::shared_ptr<google::protobuf::Message>>;

// Runs a case against the decision logic (PolicyEngine over `snapshot`, a FakeClock at
// case.now, and a FakeDecisionHook when the case has one).
DecisionOutcome RunCaseAgainstLogic(const DecisionCase& c, const RoleSnapshot& snapshot);

// Mismatches between the outcome and the case's expectations; empty if it passes.
std::vector<std::string> CheckOutcome(const DecisionCase& c, const DecisionOutcome& outcome);

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_TESTING_DECISION_TABLE_H_
