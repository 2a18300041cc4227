#include "services/policy/review_rules/review_rule.h"

#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/review_rules/review_rule_evaluator.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::AccessRequest;
using ::jit::common::v1::Identity;
using ::jit::policy::v1::EvaluateReviewRulesRequest;
using ::jit::policy::v1::EvaluateReviewRulesResponse;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRules[] = R"yaml(
kind: access_review_rule
version: v1
metadata: {name: dev-office-hours, description: "developers at work"}
spec:
  roles: [dev-db, dev-logs]
  decision: approve
  where: 'contains(user.traits["team"], "data") && regexp.match(request.reason, "^JIRA-[0-9]+")'
  max_duration: 4h
  schedule: {time_zone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00"}
  max_approvals_per_user_per_day: 3
---
kind: access_review_rule
version: v1
metadata: {name: contractors-never}
spec:
  roles: ["*"]
  decision: deny
  where: 'contains(user.roles, "contractor")'
---
kind: access_review_rule
version: v1
metadata: {name: oncall-prod}
spec:
  roles: [prod-ssh]
  decision: approve
  on_call: true
---
kind: access_review_rule
version: v1
metadata: {name: night-ops}
spec:
  roles: [ops]
  decision: approve
  schedule: {time_zone: UTC, days: [sat], start: "22:00", end: "06:00"}
)yaml";

class FakeOnCall : public OnCallSource {
 public:
  absl::StatusOr<bool> IsOnCall(const Identity& user, absl::Time) override {
    ++calls;
    if (!status.ok()) return status;
    return user.name() == on_call_user;
  }
  std::string on_call_user;
  absl::Status status;
  int calls = 0;
};

std::vector<CompiledReviewRule> Compile(const char* yaml) {
  absl::StatusOr<std::vector<AccessReviewRule>> rules = ParseReviewRuleDocuments(yaml);
  EXPECT_OK(rules.status());
  std::vector<CompiledReviewRule> out;
  for (const auto& r : *rules) out.push_back(*CompiledReviewRule::Create(r));
  return out;
}

// Wednesday 2026-12-09 10:00 in Berlin (09:00 UTC).
absl::Time Wednesday(int utc_hour) {
  return absl::FromCivil(absl::CivilHour(2026, 12, 9, utc_hour), absl::UTCTimeZone());
}

struct Row {
  const char* name;
  std::vector<std::string> user_roles;
  std::string team;
  std::vector<std::string> roles;
  std::string reason;
  absl::Duration duration;
  absl::Time now;
  std::string on_call_user;
  // "approve:<rule>", "deny:<rule>" or "none": what the requests service would record.
  std::string decision;
};

std::string Decision(const EvaluateReviewRulesResponse& response) {
  if (response.matches().empty()) return "none";
  const auto& first = response.matches(0);  // deny rules come first
  return absl::StrCat(
      first.decision() == AccessReviewRuleSpec::DECISION_DENY ? "deny:" : "approve:", first.rule());
}

EvaluateReviewRulesRequest RequestOf(const Row& row) {
  EvaluateReviewRulesRequest rq;
  Identity* user = rq.mutable_user();
  user->set_name("alice");
  for (const auto& r : row.user_roles) user->add_roles(r);
  if (!row.team.empty()) (*user->mutable_traits())["team"].add_values(row.team);
  AccessRequest* request = rq.mutable_request();
  request->set_user("alice");
  for (const auto& r : row.roles) request->add_roles(r);
  request->set_reason(row.reason);
  request->mutable_requested_duration()->set_seconds(absl::ToInt64Seconds(row.duration));
  return rq;
}

TEST(ReviewRuleTableTest, RuleTimesRequestGivesDecision) {
  const std::vector<CompiledReviewRule> rules = Compile(kRules);
  const absl::Time sat_23 = absl::FromCivil(absl::CivilHour(2026, 12, 12, 23), absl::UTCTimeZone());
  const absl::Time sun_03 = absl::FromCivil(absl::CivilHour(2026, 12, 13, 3), absl::UTCTimeZone());
  const absl::Time sun_23 = absl::FromCivil(absl::CivilHour(2026, 12, 13, 23), absl::UTCTimeZone());
  const absl::Time mon_03 = absl::FromCivil(absl::CivilHour(2026, 12, 14, 3), absl::UTCTimeZone());
  const std::vector<Row> rows = {
      {"all conditions hold",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       Wednesday(9),
       "",
       "approve:dev-office-hours"},
      {"both covered roles",
       {"dev"},
       "data",
       {"dev-db", "dev-logs"},
       "JIRA-1",
       absl::Hours(1),
       Wednesday(9),
       "",
       "approve:dev-office-hours"},
      {"a role the rule does not cover",
       {"dev"},
       "data",
       {"dev-db", "prod-db"},
       "JIRA-1",
       absl::Hours(1),
       Wednesday(9),
       "",
       "none"},
      {"wrong team",
       {"dev"},
       "web",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       Wednesday(9),
       "",
       "none"},
      {"reason without ticket",
       {"dev"},
       "data",
       {"dev-db"},
       "please",
       absl::Hours(2),
       Wednesday(9),
       "",
       "none"},
      {"longer than max_duration",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(5),
       Wednesday(9),
       "",
       "none"},
      {"exactly max_duration",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(4),
       Wednesday(9),
       "",
       "approve:dev-office-hours"},
      // 17:30 UTC is 18:30 in Berlin: after hours.
      {"after hours in Berlin",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       absl::FromCivil(absl::CivilMinute(2026, 12, 9, 17, 30), absl::UTCTimeZone()),
       "",
       "none"},
      // 08:30 UTC is 09:30 in Berlin: within hours although before 09:00 UTC.
      {"Berlin morning",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       absl::FromCivil(absl::CivilMinute(2026, 12, 9, 8, 30), absl::UTCTimeZone()),
       "",
       "approve:dev-office-hours"},
      {"weekend",
       {"dev"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       absl::FromCivil(absl::CivilHour(2026, 12, 12, 10), absl::UTCTimeZone()),
       "",
       "none"},
      {"deny wins over approve",
       {"dev", "contractor"},
       "data",
       {"dev-db"},
       "JIRA-12",
       absl::Hours(2),
       Wednesday(9),
       "",
       "deny:contractors-never"},
      {"deny covers any role",
       {"contractor"},
       "",
       {"prod-ssh"},
       "",
       absl::Hours(1),
       Wednesday(9),
       "alice",
       "deny:contractors-never"},
      {"on call",
       {"sre"},
       "",
       {"prod-ssh"},
       "",
       absl::Hours(1),
       Wednesday(9),
       "alice",
       "approve:oncall-prod"},
      {"not on call", {"sre"}, "", {"prod-ssh"}, "", absl::Hours(1), Wednesday(9), "bob", "none"},
      {"night window, saturday evening",
       {},
       "",
       {"ops"},
       "",
       absl::Hours(1),
       sat_23,
       "",
       "approve:night-ops"},
      {"night window, sunday early (saturday's night)",
       {},
       "",
       {"ops"},
       "",
       absl::Hours(1),
       sun_03,
       "",
       "approve:night-ops"},
      {"sunday evening is not saturday", {}, "", {"ops"}, "", absl::Hours(1), sun_23, "", "none"},
      {"monday early belongs to sunday", {}, "", {"ops"}, "", absl::Hours(1), mon_03, "", "none"},
  };
  for (const Row& row : rows) {
    FakeOnCall on_call;
    on_call.on_call_user = row.on_call_user;
    ASSERT_OK_AND_ASSIGN(EvaluateReviewRulesResponse response,
                         EvaluateReviewRules(rules, RequestOf(row), row.now, &on_call));
    EXPECT_EQ(Decision(response), row.decision)
        << row.name << ": " << response.explanation().DebugString();
  }
}

TEST(ReviewRuleTest, MatchCarriesLimitZoneAndAdmittingThresholds) {
  const std::vector<CompiledReviewRule> rules = Compile(kRules);
  Row row{"", {"dev"}, "data", {"dev-db"}, "JIRA-12", absl::Hours(2), Wednesday(9), "", ""};
  EvaluateReviewRulesRequest rq = RequestOf(row);
  auto* rt = rq.mutable_request()->add_thresholds();
  rt->set_role("dev-db");
  auto* open = rt->add_thresholds();
  open->set_name("default");
  open->set_approve(1);
  auto* dba = rt->add_thresholds();
  dba->set_name("dba");
  dba->set_filter(R"(contains(reviewer.roles, "dba"))");
  auto* ticket = rt->add_thresholds();
  ticket->set_name("ticket");
  ticket->set_filter(R"(regexp.match(request.reason, "^JIRA-"))");
  ASSERT_OK_AND_ASSIGN(EvaluateReviewRulesResponse response,
                       EvaluateReviewRules(rules, rq, row.now, nullptr));
  ASSERT_EQ(response.matches_size(), 1);
  EXPECT_EQ(response.matches(0).max_approvals_per_user_per_day(), 3u);
  EXPECT_EQ(response.matches(0).time_zone(), "Europe/Berlin");
  EXPECT_THAT(response.matches(0).threshold_names(),
              ElementsAre("dev-db/default", "dev-db/ticket"));
}

TEST(ReviewRuleTest, OnCallFailureFailsClosed) {
  std::vector<CompiledReviewRule> rules = Compile(kRules);
  std::vector<CompiledReviewRule> deny = Compile(R"yaml(
kind: access_review_rule
version: v1
metadata: {name: not-when-on-call}
spec: {roles: [prod-db], decision: deny, on_call: true}
)yaml");
  rules.push_back(deny[0]);
  FakeOnCall on_call;
  on_call.status = absl::UnavailableError("pagerduty down");
  Row approve{"", {"sre"}, "", {"prod-ssh"}, "", absl::Hours(1), Wednesday(9), "", ""};
  ASSERT_OK_AND_ASSIGN(auto response,
                       EvaluateReviewRules(rules, RequestOf(approve), approve.now, &on_call));
  EXPECT_EQ(Decision(response), "none");
  EXPECT_THAT(response.explanation().DebugString(), HasSubstr("pagerduty down"));
  Row denied{"", {"sre"}, "", {"prod-db"}, "", absl::Hours(1), Wednesday(9), "", ""};
  ASSERT_OK_AND_ASSIGN(response,
                       EvaluateReviewRules(rules, RequestOf(denied), denied.now, nullptr));
  EXPECT_EQ(Decision(response), "deny:not-when-on-call");
}

TEST(ReviewRuleParseTest, ParsesEveryField) {
  ASSERT_OK_AND_ASSIGN(std::vector<AccessReviewRule> rules, ParseReviewRuleDocuments(kRules));
  ASSERT_EQ(rules.size(), 4u);
  const AccessReviewRule& r = rules[0];
  EXPECT_EQ(r.metadata().name(), "dev-office-hours");
  EXPECT_THAT(r.spec().roles(), ElementsAre("dev-db", "dev-logs"));
  EXPECT_EQ(r.spec().decision(), AccessReviewRuleSpec::DECISION_APPROVE);
  EXPECT_EQ(r.spec().max_duration().seconds(), 4 * 3600);
  EXPECT_EQ(r.spec().schedule().time_zone(), "Europe/Berlin");
  EXPECT_THAT(r.spec().schedule().days(), ElementsAre("mon", "tue", "wed", "thu", "fri"));
  EXPECT_EQ(r.spec().max_approvals_per_user_per_day(), 3u);
  EXPECT_TRUE(rules[2].spec().on_call());
}

TEST(ReviewRuleParseTest, ErrorsNameLineAndField) {
  struct Case {
    const char* doc;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [x]\n  "
       "decision: maybe\n",
       "line 6: spec.decision: must be approve or deny"},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [x]\n  "
       "decision: approve\n  colour: red\n",
       "line 7: spec.colour: unknown field"},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [x]\n  "
       "decision: approve\n  where: 'contains(reviewer.roles, \"x\")'\n",
       "line 7: spec.where: predicate at position"},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [x]\n  "
       "decision: approve\n  schedule: {time_zone: Mars/Base}\n",
       "unknown time zone"},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [x]\n  "
       "decision: deny\n  max_approvals_per_user_per_day: 2\n",
       "line 7: spec.max_approvals_per_user_per_day: only approve rules"},
      {"kind: role\nversion: v1\nmetadata: {name: a}\nspec: {roles: [x], decision: deny}\n",
       "kind: must be \"access_review_rule\""},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: A}\nspec: {roles: [x], decision: "
       "deny}\n",
       "metadata.name: invalid rule name"},
      {"kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec: {roles: [x], decision: "
       "approve, schedule: {start: \"09:00\"}}\n",
       "set both start and end"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseReviewRuleDocument(c.doc),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << c.doc;
  }
}

TEST(ReviewRuleParseTest, DocumentIsBounded) {
  std::string big = "kind: access_review_rule\nversion: v1\nmetadata: {name: a}\nspec:\n  roles: [";
  while (big.size() < kMaxReviewRuleDocumentSize) big += "x, ";
  big += "x]\n  decision: approve\n";
  EXPECT_THAT(ParseReviewRuleDocument(big), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::policy
