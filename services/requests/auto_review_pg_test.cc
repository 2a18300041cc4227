// The per-user daily limit of an automatic approval rule under concurrent creates, against a
// real PostgreSQL (JIT_TEST_PG_URL): PostgresRequestStore, PostgresAutoApprovalQuota and
// RequestLifecycle with the AutoReviewer hook; policy is a fake whose only rule approves
// with a limit of N per day.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/auto_review.h"
#include "services/requests/migrations.h"
#include "services/requests/postgres_auto_approval_quota.h"
#include "services/requests/postgres_request_store.h"
#include "services/requests/request_lifecycle.h"

namespace jit::requests {
namespace {

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;

constexpr uint32_t kLimit = 3;
constexpr int kThreads = 12;

class AutoReviewPgTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(kThreads + 2)));
    ASSERT_OK(db::ApplyMigrations(*pool_, "requests", Migrations()));
    clock_.SetTime(absl::FromUnixSeconds(1'796'000'000));
    store_ = std::make_unique<PostgresRequestStore>(pool_.get());
    quota_ = std::make_unique<PostgresAutoApprovalQuota>(pool_.get());
    permissions_ = std::make_unique<policy::PolicyPermissionChecker>(&policy_);
    reviewer_ = std::make_unique<AutoReviewer>(store_.get(), &policy_, quota_.get(), &clock_);
    lifecycle_ =
        std::make_unique<RequestLifecycle>(store_.get(), &policy_, permissions_.get(), &clock_);
    lifecycle_->set_auto_review(reviewer_.get());
    policy_.check_request.Handle([](const policy::v1::CheckRequestRequest& rq) {
      policy::v1::CheckRequestResponse r;
      r.set_allowed(true);
      r.mutable_max_duration()->set_seconds(3600);
      r.mutable_request_ttl()->set_seconds(3600);
      for (const std::string& role : rq.requested_roles()) {
        auto* rt = r.add_thresholds();
        rt->set_role(role);
        auto* t = rt->add_thresholds();
        t->set_name("default");
        t->set_approve(1);
        t->set_deny(1);
      }
      return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
    });
    policy_.evaluate_review_rules.Handle([](const policy::v1::EvaluateReviewRulesRequest& rq) {
      policy::v1::EvaluateReviewRulesResponse r;
      auto* m = r.add_matches();
      m->set_rule("dev-auto");
      m->set_decision(policy::v1::AccessReviewRuleSpec::DECISION_APPROVE);
      m->set_max_approvals_per_user_per_day(kLimit);
      m->set_time_zone("UTC");
      for (const auto& rt : rq.request().thresholds())
        m->add_threshold_names(rt.role() + "/default");
      return absl::StatusOr<policy::v1::EvaluateReviewRulesResponse>(r);
    });
  }

  Identity User(const std::string& name) {
    Identity id;
    id.set_kind(Identity::KIND_USER);
    id.set_name(name);
    return id;
  }

  // Creates `n` requests for `user` from `n` threads released together.
  std::vector<AccessRequest> CreateConcurrently(const std::string& user, int n) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<absl::StatusOr<AccessRequest>> results(n, absl::UnknownError("not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        v1::CreateRequestRequest rq;
        rq.add_roles("dev");
        rq.set_reason("JIRA-7");
        ++ready;
        while (!go.load()) std::this_thread::yield();
        results[i] = lifecycle_->Create(User(user), {.actor = "user:" + user}, rq);
      });
    }
    while (ready.load() < n) std::this_thread::yield();
    go = true;
    for (auto& t : threads) t.join();
    std::vector<AccessRequest> out;
    for (auto& r : results) {
      EXPECT_OK(r.status());
      if (r.ok()) out.push_back(*r);
    }
    return out;
  }

  std::string Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    pqxx::result r = txn.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  FakeClock clock_;
  policy::testing::FakePolicyClient policy_;
  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<PostgresRequestStore> store_;
  std::unique_ptr<PostgresAutoApprovalQuota> quota_;
  std::unique_ptr<policy::PolicyPermissionChecker> permissions_;
  std::unique_ptr<AutoReviewer> reviewer_;
  std::unique_ptr<RequestLifecycle> lifecycle_;
};

TEST_F(AutoReviewPgTest, DailyLimitHoldsUnderConcurrentCreates) {
  const std::vector<AccessRequest> made = CreateConcurrently("dora", kThreads);
  ASSERT_EQ(made.size(), static_cast<size_t>(kThreads));
  int approved = 0, pending = 0;
  for (const AccessRequest& r : made) {
    ASSERT_OK_AND_ASSIGN(AccessRequest stored, store_->Get(r.id()));
    if (stored.state() == ACCESS_REQUEST_STATE_APPROVED) {
      ++approved;
      EXPECT_EQ(stored.resolved_by(), kAutoReviewer);
    } else if (stored.state() == ACCESS_REQUEST_STATE_PENDING) {
      ++pending;
      EXPECT_EQ(stored.reviews_size(), 0);
    }
  }
  EXPECT_EQ(approved, static_cast<int>(kLimit));
  EXPECT_EQ(pending, kThreads - static_cast<int>(kLimit));
  // Every automatic approval was audited with the rule, in the transaction of the change.
  EXPECT_EQ(Query("SELECT count(*) FROM requests.audit_outbox "
                  "WHERE type = 'access_request.approve'"),
            std::to_string(kLimit));
  EXPECT_EQ(Query("SELECT taken FROM requests.auto_approvals WHERE user_name = 'dora'"),
            std::to_string(kLimit));
  // Another user has their own allowance.
  const std::vector<AccessRequest> others = CreateConcurrently("erin", 4);
  int erin_approved = 0;
  for (const AccessRequest& r : others) {
    ASSERT_OK_AND_ASSIGN(AccessRequest stored, store_->Get(r.id()));
    if (stored.state() == ACCESS_REQUEST_STATE_APPROVED) ++erin_approved;
  }
  EXPECT_EQ(erin_approved, static_cast<int>(kLimit));
}

}  // namespace
}  // namespace jit::requests
