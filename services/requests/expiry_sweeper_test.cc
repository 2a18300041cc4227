// ExpirySweeper::SweepOnce over the in-memory store with a FakeClock (the background task
// is PeriodicTask's, tested in common/).
#include "services/requests/expiry_sweeper.h"

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/in_memory_request_store.h"
#include "services/requests/requests_metrics.h"

namespace jit::requests {
namespace {

class ExpirySweeperTest : public ::testing::Test {
 protected:
  ExpirySweeperTest()
      : permissions_(&policy_),
        metrics_(registry_),
        lifecycle_(&store_, &policy_, &permissions_, &clock_, {}, &metrics_),
        sweeper_(&lifecycle_, &store_, &clock_,
                 {.batch = 100,
                  .max_idle = absl::Hours(2),
                  .on_counts = [this](const RequestCounts& c) { counts_ = c; }}) {
    policy_.check_request.Handle([](const policy::v1::CheckRequestRequest&) {
      policy::v1::CheckRequestResponse r;
      r.set_allowed(true);
      r.mutable_max_duration()->set_seconds(3600);
      r.mutable_request_ttl()->set_seconds(3600);
      return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
    });
  }

  void CreateRequest() {
    v1::CreateRequestRequest rq;
    rq.add_roles("dba");
    Identity alice;
    alice.set_name("alice");
    ASSERT_THAT(lifecycle_.Create(alice, {}, rq), ::jit::testing::IsOk());
  }

  double Decided(const std::string& result) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "jit_requests_decided_total") continue;
      for (const auto& m : family.metric) {
        if (m.label.size() == 1 && m.label[0].value == result) return m.counter.value;
      }
    }
    return 0;
  }

  FakeClock clock_;
  testing::InMemoryRequestStore store_;
  policy::testing::FakePolicyClient policy_;
  policy::PolicyPermissionChecker permissions_;
  prometheus::Registry registry_;
  RequestsMetrics metrics_;
  RequestLifecycle lifecycle_;
  RequestCounts counts_;
  ExpirySweeper sweeper_;
};

TEST_F(ExpirySweeperTest, SleepsUntilTheNextDueTimeThenExpiresIt) {
  CreateRequest();  // due in 1h
  clock_.Advance(absl::Minutes(30));
  CreateRequest();  // due in 1h30m
  int expired = -1;
  EXPECT_EQ(sweeper_.SweepOnce(&expired), absl::Minutes(30));
  EXPECT_EQ(expired, 0);
  EXPECT_EQ(counts_.pending, 2);
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(sweeper_.SweepOnce(&expired), absl::Minutes(30));
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(counts_.pending, 1);
  EXPECT_EQ(Decided("expired"), 1);
}

TEST_F(ExpirySweeperTest, WithNothingLiveItSleepsTheLongestIdle) {
  EXPECT_EQ(sweeper_.SweepOnce(), absl::Hours(2));
}

TEST_F(ExpirySweeperTest, ExpiresEverythingDueInBatches) {
  for (int i = 0; i < 250; ++i) CreateRequest();
  clock_.Advance(absl::Hours(1));
  int expired = 0;
  sweeper_.SweepOnce(&expired);
  EXPECT_EQ(expired, 250);
  EXPECT_EQ(counts_.pending, 0);
}

}  // namespace
}  // namespace jit::requests
