// Automatic review through RequestLifecycle::Create, over the in-memory store, a fake policy
// (CheckRequest and EvaluateReviewRules) and an in-memory quota.
#include "services/requests/auto_review.h"

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/in_memory_request_store.h"

namespace jit::requests {
namespace {

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::policy::v1::AccessReviewRuleSpec;
using ::jit::policy::v1::ReviewRuleMatch;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class InMemoryQuota : public AutoApprovalQuota {
 public:
  absl::StatusOr<bool> Take(std::string_view user, std::string_view rule, std::string_view day,
                            uint32_t limit) override {
    absl::MutexLock lock(&mu_);
    uint32_t& n = taken_[{std::string(user), std::string(rule), std::string(day)}];
    if (n >= limit) return false;
    ++n;
    return true;
  }
  absl::StatusOr<uint32_t> Taken(std::string_view user, std::string_view rule,
                                 std::string_view day) override {
    absl::MutexLock lock(&mu_);
    return taken_[{std::string(user), std::string(rule), std::string(day)}];
  }

 private:
  absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, uint32_t> taken_;
};

ReviewRuleMatch Match(const std::string& rule, bool deny, uint32_t limit = 0,
                      std::vector<std::string> thresholds = {"dev/default"}) {
  ReviewRuleMatch m;
  m.set_rule(rule);
  m.set_decision(deny ? AccessReviewRuleSpec::DECISION_DENY
                      : AccessReviewRuleSpec::DECISION_APPROVE);
  m.set_max_approvals_per_user_per_day(limit);
  m.set_time_zone("UTC");
  for (auto& t : thresholds) m.add_threshold_names(t);
  return m;
}

class AutoReviewTest : public ::testing::Test {
 protected:
  AutoReviewTest() : permissions_(&policy_), lifecycle_(&store_, &policy_, &permissions_, &clock_) {
    clock_.SetTime(absl::FromUnixSeconds(1'796'000'000));
    lifecycle_.set_auto_review(&reviewer_);
    alice_.set_kind(Identity::KIND_USER);
    alice_.set_name("alice");
    alice_.add_roles("dev-base");
    policy_.check_request.Handle([this](const policy::v1::CheckRequestRequest& rq)
                                     -> absl::StatusOr<policy::v1::CheckRequestResponse> {
      policy::v1::CheckRequestResponse r;
      if (rq.break_glass() && !break_glass_allowed_) {
        r.mutable_explanation()->set_summary("denied: no role allows break-glass");
        return r;
      }
      r.set_allowed(true);
      r.set_break_glass(rq.break_glass());
      r.mutable_max_duration()->set_seconds(3600);
      r.mutable_request_ttl()->set_seconds(3600);
      for (const std::string& role : rq.requested_roles()) {
        auto* rt = r.add_thresholds();
        rt->set_role(role);
        auto* t = rt->add_thresholds();
        t->set_name("default");
        t->set_approve(approvals_needed_);
        t->set_deny(1);
      }
      return r;
    });
    policy_.evaluate_review_rules.Handle(
        [this](const policy::v1::EvaluateReviewRulesRequest& rq)
            -> absl::StatusOr<policy::v1::EvaluateReviewRulesResponse> {
          if (!policy_up_) return absl::UnavailableError("policy down");
          policy::v1::EvaluateReviewRulesResponse r;
          for (const auto& m : matches_) *r.add_matches() = m;
          return r;
        });
  }

  absl::StatusOr<AccessRequest> Create(bool dry_run = false, bool break_glass = false) {
    v1::CreateRequestRequest rq;
    rq.add_roles("dev");
    rq.set_reason("JIRA-1");
    rq.set_dry_run(dry_run);
    rq.set_break_glass(break_glass);
    return lifecycle_.Create(alice_, {.actor = "user:alice"}, rq);
  }

  std::vector<AuditEvent> EventsOfType(const std::string& type) {
    std::vector<AuditEvent> out;
    for (const AuditEvent& e : store_.events()) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }

  static std::string Detail(const AuditEvent& e, const std::string& key) {
    auto it = e.details().fields().find(key);
    return it == e.details().fields().end() ? "" : it->second.string_value();
  }

  FakeClock clock_;
  testing::InMemoryRequestStore store_;
  policy::testing::FakePolicyClient policy_;
  policy::PolicyPermissionChecker permissions_;
  InMemoryQuota quota_;
  AutoReviewer reviewer_{&store_, &policy_, &quota_, &clock_};
  RequestLifecycle lifecycle_;
  Identity alice_;
  std::vector<ReviewRuleMatch> matches_;
  uint32_t approvals_needed_ = 1;
  bool break_glass_allowed_ = false;
  bool policy_up_ = true;
};

TEST_F(AutoReviewTest, ApproveRuleApprovesAndIsAuditedWithTheRule) {
  matches_ = {Match("dev-auto", false)};
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_EQ(r.resolved_by(), kAutoReviewer);
  ASSERT_EQ(r.reviews_size(), 1);
  EXPECT_EQ(r.reviews(0).reviewer(), "system:auto-review");
  EXPECT_THAT(r.reviews(0).reason(), HasSubstr("rule \"dev-auto\""));
  EXPECT_THAT(r.granted_roles(), ::testing::ElementsAre("dev"));
  ASSERT_EQ(EventsOfType("access_request.approve").size(), 1u);
  const AuditEvent approve = EventsOfType("access_request.approve")[0];
  EXPECT_EQ(Detail(approve, "rule"), "dev-auto");
  EXPECT_EQ(approve.actor(), "system:auto-review");
  ASSERT_EQ(EventsOfType("access_request.review").size(), 1u);
  EXPECT_EQ(Detail(EventsOfType("access_request.review")[0], "rule"), "dev-auto");
  // The stored request says the same.
  ASSERT_OK_AND_ASSIGN(AccessRequest stored, store_.Get(r.id()));
  EXPECT_EQ(stored.state(), ACCESS_REQUEST_STATE_APPROVED);
}

TEST_F(AutoReviewTest, DenyWinsOverApprove) {
  matches_ = {Match("contractors-never", true), Match("dev-auto", false)};
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_DENIED);
  EXPECT_THAT(r.resolve_reason(), HasSubstr("contractors-never"));
  ASSERT_EQ(EventsOfType("access_request.deny").size(), 1u);
  EXPECT_EQ(Detail(EventsOfType("access_request.deny")[0], "rule"), "contractors-never");
  EXPECT_TRUE(EventsOfType("access_request.approve").empty());
}

TEST_F(AutoReviewTest, ThresholdsStillApplyARuleIsOneReview) {
  approvals_needed_ = 2;
  matches_ = {Match("dev-auto", false)};
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_PENDING);
  ASSERT_EQ(r.reviews_size(), 1);
  EXPECT_THAT(r.reviews(0).threshold_names(), ::testing::ElementsAre("dev/default"));
  EXPECT_TRUE(EventsOfType("access_request.approve").empty());
}

TEST_F(AutoReviewTest, AThresholdWhoseFilterDoesNotAdmitTheRuleIsNotMet) {
  matches_ = {Match("dev-auto", false, 0, {})};
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(r.reviews_size(), 1);
}

TEST_F(AutoReviewTest, DailyLimitThenTheNextRuleOrNothing) {
  matches_ = {Match("dev-auto", false, 2)};
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
    EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_APPROVED) << i;
  }
  ASSERT_OK_AND_ASSIGN(AccessRequest third, Create());
  EXPECT_EQ(third.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(third.reviews_size(), 0);
  // Next day (UTC): a fresh allowance.
  clock_.Advance(absl::Hours(24));
  ASSERT_OK_AND_ASSIGN(AccessRequest next_day, Create());
  EXPECT_EQ(next_day.state(), ACCESS_REQUEST_STATE_APPROVED);
}

TEST_F(AutoReviewTest, BreakGlassIsNeverAutoApproved) {
  matches_ = {Match("dev-auto", false)};
  EXPECT_THAT(Create(false, true), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(policy_.evaluate_review_rules.requests().empty());
  // A role that allows break-glass: approved by break-glass (not by the rule), and the
  // after-the-fact review still awaits a person.
  break_glass_allowed_ = true;
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(false, true));
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_EQ(r.post_review(), jit::common::v1::BREAK_GLASS_REVIEW_AWAITING);
  EXPECT_EQ(r.reviews_size(), 0);
  EXPECT_NE(r.resolved_by(), kAutoReviewer);
  EXPECT_TRUE(policy_.evaluate_review_rules.requests().empty());
}

TEST_F(AutoReviewTest, DryRunShowsTheDecidingRuleAndStoresNothing) {
  matches_ = {Match("dev-auto", false, 1)};
  ASSERT_OK_AND_ASSIGN(AccessRequest preview, Create(/*dry_run=*/true));
  EXPECT_TRUE(preview.id().empty());
  EXPECT_EQ(preview.state(), ACCESS_REQUEST_STATE_APPROVED);
  ASSERT_EQ(preview.reviews_size(), 1);
  EXPECT_THAT(preview.reviews(0).reason(), HasSubstr("dev-auto"));
  EXPECT_TRUE(store_.events().empty());
  // The preview took no slot: a real create still gets the one approval.
  ASSERT_OK_AND_ASSIGN(AccessRequest real, Create());
  EXPECT_EQ(real.state(), ACCESS_REQUEST_STATE_APPROVED);
  // Now the limit is used up, and the dry run says no rule decides.
  ASSERT_OK_AND_ASSIGN(AccessRequest after, Create(/*dry_run=*/true));
  EXPECT_EQ(after.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(after.reviews_size(), 0);
}

TEST_F(AutoReviewTest, PolicyDownLeavesTheRequestPending) {
  matches_ = {Match("dev-auto", false)};
  policy_up_ = false;
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(r.reviews_size(), 0);
}

}  // namespace
}  // namespace jit::requests
