// RequestWatch over the in-memory store (a ChangeFeed numbering changes at once), the
// lifecycle with the fake policy client, and a FakeClock.
#include "services/requests/request_watch.h"

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/proto_time.h"
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
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using Event = v1::RequestEvent;

Identity User(const std::string& name, std::vector<std::string> roles = {}) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  for (auto& r : roles) id.add_roles(r);
  return id;
}

audit::AuditActor ActorOf(const Identity& id) { return {.actor = "user:" + id.name()}; }

// "type revision user state" of an event, for readable expectations.
std::string Show(const Event& e) {
  std::string type = Event::Type_Name(e.type()).substr(5);
  if (e.type() == Event::TYPE_HEARTBEAT) return absl::StrCat(type, " ", e.revision());
  return absl::StrCat(type, " ", e.revision(), " ", e.request().user(), " ",
                      jit::common::v1::AccessRequestState_Name(e.request().state()).substr(21));
}

class RequestWatchTest : public ::testing::Test {
 protected:
  RequestWatchTest()
      : permissions_(&policy_),
        lifecycle_(&store_, &policy_, &permissions_, &clock_),
        hub_(&store_),
        watch_(&lifecycle_, &store_, &hub_,
               {.heartbeat = absl::Hours(1), .cancel_check = absl::Milliseconds(1)}) {
    policy_.check_request.Handle([](const policy::v1::CheckRequestRequest& rq) {
      policy::v1::CheckRequestResponse r;
      r.set_allowed(true);
      r.mutable_max_duration()->set_seconds(3600);
      r.mutable_request_ttl()->set_seconds(48 * 3600);
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
    policy_.check_review.Handle([](const policy::v1::CheckReviewRequest& rq) {
      policy::v1::CheckReviewResponse r;
      const auto& roles = rq.reviewer().roles();
      r.set_allowed(std::find(roles.begin(), roles.end(), "reviewer") != roles.end());
      if (r.allowed()) *r.mutable_matching_thresholds() = rq.request().thresholds();
      return absl::StatusOr<policy::v1::CheckReviewResponse>(r);
    });
    policy_.check_permission.Handle([](const policy::v1::CheckPermissionRequest& rq) {
      policy::v1::CheckPermissionResponse r;
      const auto& roles = rq.identity().roles();
      r.set_allowed(std::find(roles.begin(), roles.end(), "admin") != roles.end());
      return absl::StatusOr<policy::v1::CheckPermissionResponse>(r);
    });
  }

  AccessRequest Create(const Identity& who, const std::string& role) {
    v1::CreateRequestRequest rq;
    rq.add_roles(role);
    rq.set_reason("ticket");
    absl::StatusOr<AccessRequest> r = lifecycle_.Create(who, ActorOf(who), rq);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : AccessRequest();
  }

  void Approve(const Identity& who, const std::string& id) {
    v1::ReviewRequestRequest rq;
    rq.set_id(id);
    rq.set_verdict(jit::common::v1::AccessReview::VERDICT_APPROVE);
    rq.set_reason("ok");
    EXPECT_THAT(lifecycle_.Review(who, ActorOf(who), rq), IsOk());
  }

  // Runs a watch until `count` events arrived; `on_event` may change requests meanwhile.
  absl::StatusOr<std::vector<std::string>> Run(
      const Identity& who, const v1::WatchRequestsRequest& rq, size_t count,
      const std::function<void(const Event&)>& on_event = [](const Event&) {}) {
    std::vector<std::string> seen;
    absl::Status s = watch_.Watch(
        who, rq,
        [&](const Event& e) {
          seen.push_back(Show(e));
          on_event(e);
          return true;
        },
        [&] { return seen.size() >= count; });
    if (!s.ok()) return s;
    return seen;
  }

  FakeClock clock_;
  testing::InMemoryRequestStore store_;
  policy::testing::FakePolicyClient policy_;
  policy::PolicyPermissionChecker permissions_;
  RequestLifecycle lifecycle_;
  FeedHub hub_;
  RequestWatch watch_;
  const Identity alice_ = User("alice", {"dev"});
  const Identity bob_ = User("bob", {"reviewer"});
  const Identity eve_ = User("eve", {"dev"});
  const Identity root_ = User("root", {"admin"});
};

TEST_F(RequestWatchTest, ASnapshotThenEveryChangeInOrderAndAResumeMissesAndRepeatsNothing) {
  const AccessRequest first = Create(alice_, "dba");
  Create(alice_, "web");
  v1::WatchRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> seen, Run(bob_, rq, 5, [&](const Event& e) {
                         if (e.type() != Event::TYPE_HEARTBEAT) return;
                         Create(alice_, "ops");      // position 3
                         Approve(bob_, first.id());  // position 4: leaves PENDING
                       }));
  EXPECT_THAT(seen, ::testing::ElementsAre("SNAPSHOT 2 alice PENDING", "SNAPSHOT 2 alice PENDING",
                                           "HEARTBEAT 2", "CREATED 3 alice PENDING",
                                           "UPDATED 4 alice APPROVED"));
  // A client that saw position 3 resumes there and gets 4 only, then what follows.
  rq.set_after_revision(3);
  ASSERT_OK_AND_ASSIGN(seen, Run(bob_, rq, 2, [&](const Event&) { Create(alice_, "lab"); }));
  EXPECT_THAT(seen, ::testing::ElementsAre("UPDATED 4 alice APPROVED", "CREATED 5 alice PENDING"));
}

TEST_F(RequestWatchTest, ACallerSeesOnlyWhatItMayRead) {
  Create(alice_, "dba");
  Create(eve_, "web");
  v1::WatchRequestsRequest rq;
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> own, Run(eve_, rq, 2));
  EXPECT_THAT(own, ::testing::ElementsAre("SNAPSHOT 2 eve PENDING", "HEARTBEAT 2"));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> all, Run(root_, rq, 3));
  EXPECT_EQ(all.size(), 3u);
  // A reviewer sees the requests they may review (and their own), not more.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> reviewer, Run(bob_, rq, 3));
  EXPECT_EQ(reviewer.size(), 3u);
  rq.set_user("alice");
  EXPECT_THAT(Run(eve_, rq, 1), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> alices, Run(root_, rq, 2));
  EXPECT_THAT(alices, ::testing::ElementsAre("SNAPSHOT 2 alice PENDING", "HEARTBEAT 2"));
}

TEST_F(RequestWatchTest, AStateFilterSendsChangesIntoOrOutOfTheSetOnly) {
  Create(alice_, "dba");                           // 1
  const AccessRequest r1 = Create(alice_, "web");  // 2
  const AccessRequest r2 = Create(alice_, "ops");  // 3
  v1::CancelRequestRequest cancel;
  cancel.set_id(r2.id());
  ASSERT_THAT(lifecycle_.Cancel(alice_, ActorOf(alice_), cancel), IsOk());  // 4
  Approve(bob_, r1.id());                                                   // 5
  v1::WatchRequestsRequest rq;
  rq.add_states(ACCESS_REQUEST_STATE_APPROVED);
  rq.set_after_revision(1);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> approved, Run(root_, rq, 1));
  EXPECT_THAT(approved, ::testing::ElementsAre("UPDATED 5 alice APPROVED"));
  // Watching PENDING, the cancel and the approval are requests leaving the set.
  rq.clear_states();
  rq.add_states(ACCESS_REQUEST_STATE_PENDING);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pending, Run(root_, rq, 4));
  EXPECT_THAT(pending,
              ::testing::ElementsAre("CREATED 2 alice PENDING", "CREATED 3 alice PENDING",
                                     "UPDATED 4 alice CANCELLED", "UPDATED 5 alice APPROVED"));
}

TEST_F(RequestWatchTest, AQuietStreamSendsHeartbeatsWithItsPosition) {
  Create(alice_, "dba");
  RequestWatch quick(&lifecycle_, &store_, &hub_,
                     {.heartbeat = absl::Milliseconds(1), .cancel_check = absl::Milliseconds(1)});
  v1::WatchRequestsRequest rq;
  rq.set_after_revision(1);
  std::vector<std::string> seen;
  ASSERT_THAT(quick.Watch(
                  alice_, rq,
                  [&](const Event& e) {
                    seen.push_back(Show(e));
                    return true;
                  },
                  [&] { return seen.size() >= 2; }),
              IsOk());
  EXPECT_THAT(seen, ::testing::ElementsAre("HEARTBEAT 1", "HEARTBEAT 1"));
}

TEST_F(RequestWatchTest, RefusesBadArguments) {
  v1::WatchRequestsRequest rq;
  rq.set_after_revision(-1);
  EXPECT_THAT(Run(alice_, rq, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  rq.set_after_revision(0);
  rq.add_states(static_cast<AccessRequestState>(42));
  EXPECT_THAT(Run(alice_, rq, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RequestWatchTest, AClientThatGoesAwayEndsTheStream) {
  Create(alice_, "dba");
  v1::WatchRequestsRequest rq;
  int writes = 0;
  EXPECT_THAT(watch_.Watch(
                  alice_, rq,
                  [&](const Event&) {
                    ++writes;
                    return false;
                  },
                  [] { return false; }),
              IsOk());
  EXPECT_EQ(writes, 1);
}

TEST(FeedHubTest, WaitPastReturnsOnceTheHeadMoves) {
  testing::InMemoryRequestStore store;
  FeedHub hub(&store);
  EXPECT_EQ(hub.WaitPast(0, absl::ZeroDuration()), 0);
  AccessRequest r;
  r.set_id("00000000-0000-7000-8000-000000000001");
  r.set_user("alice");
  r.set_state(ACCESS_REQUEST_STATE_PENDING);
  ASSERT_THAT(store.Create(r, "", {}, {}), IsOk());
  ASSERT_THAT(hub.Poll(), IsOk());
  EXPECT_EQ(hub.WaitPast(0, absl::Hours(1)), 1);  // returns at once
}

}  // namespace
}  // namespace jit::requests
