// Decision tables: test cases for the policy decisions, kept as data (YAML files under
// services/policy/testdata/decisions/), loadable by any runner: the logic suite
// (decision_table_test.cc) and the gRPC suite (decision_table_grpc_test.cc) that sends the
// same requests through PolicyService and checks the replies with the same CheckOutcome.
//
// File format:
//   roles:                       # role documents, as a role file would hold them
//     - {kind: role, version: v7, metadata: {name: dev}, spec: {...}}
//   cases:
//     - name: dev_reaches_staging_as_ubuntu     # [A-Za-z0-9_]+, unique in the file
//       tags: [grpc]                             # optional, for runners to select by
//       now: "2024-01-01T00:00:00Z"              # optional; default kDefaultNow
//       hook: {allow: false, reason: "freeze"}   # optional fake external hook;
//                                                # or {error: DEADLINE_EXCEEDED}
//       check_access:                            # exactly one of check_access,
//         identity: {name: alice, roles: [dev], traits: {logins: [alice]}}
//         resource: {kind: node, labels: {env: staging}, login: ubuntu}
//                                                # check_request, check_review,
//                                                # compute_cert_params, check_permission:
//                                                # the request proto in proto3 JSON form
//       expect: {allowed: true}                  # response fields that must be equal
//                                                # (nested messages compared partially)
//       explanation_contains: ["role \"dev\""]   # substrings of explanation.summary
//       explanation_excludes: ["..."]
//       explanation_matches: [{role: dev, side: allow, field: node_labels}]
//                                                # each must match some RuleMatch
//       error: {code: INVALID_ARGUMENT, contains: "resource.login"}   # expect a Status
// Identities (identity, user, reviewer) get expire_time = now + 1h unless the case sets one;
// `expire_time: none` leaves it unset.
// Shorthands in requests: traits maps take plain lists (`logins: [a]` for
// `logins: {values: [a]}`); resource kind takes node/db/kube/app; durations take "30m",
// "1h30m" as well as "1800s".
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
