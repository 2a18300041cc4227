// RequestLifecycle over the in-memory store, the fake policy client and a FakeClock.
#include "services/requests/request_lifecycle.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
using ::jit::common::v1::ACCESS_REQUEST_STATE_CANCELLED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_EXPIRED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::common::v1::ACCESS_REQUEST_STATE_REVOKED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Identity User(const std::string& name, std::vector<std::string> roles = {}) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  for (auto& r : roles) id.add_roles(r);
  return id;
}

audit::AuditActor ActorOf(const Identity& id) { return {.actor = "user:" + id.name()}; }

google::protobuf::Duration Dur(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  return out;
}

class RequestLifecycleTest : public ::testing::Test {
 protected:
  RequestLifecycleTest()
      : permissions_(&policy_), lifecycle_(&store_, &policy_, &permissions_, &clock_) {
    // Policy: "dev" may request anything up to 4h, with thresholds per role given by
    // thresholds_ (default: one approval, one denial); holders of "reviewer" may review,
    // and their reviews count towards every threshold; "admin" has every permission.
    policy_.check_request.Handle([this](const policy::v1::CheckRequestRequest& rq)
                                     -> absl::StatusOr<policy::v1::CheckRequestResponse> {
      policy::v1::CheckRequestResponse r;
      for (const std::string& role : rq.requested_roles()) {
        if (role == "forbidden") {
          r.mutable_explanation()->set_summary(
              "denied: role \"dev\" denies requesting \"forbidden\" (deny.request.roles)");
          return r;
        }
      }
      if (reason_required_ && rq.reason().empty()) {
        r.set_reason_required(true);
        r.set_reason_prompt("Which ticket?");
        r.mutable_explanation()->set_summary("denied: role \"dev\" requires a reason");
        return r;
      }
      if (rq.break_glass()) {
        for (const std::string& role : rq.requested_roles()) {
          if (role != "prod") {
            r.mutable_explanation()->set_summary(
                absl::StrCat("denied: no role of \"alice\" allows break-glass for \"", role, "\""));
            return r;
          }
        }
      }
      r.set_allowed(true);
      r.set_break_glass(rq.break_glass());
      r.mutable_explanation()->set_summary("allowed: role \"dev\" allows requesting it");
      absl::Duration max = rq.break_glass() ? absl::Minutes(30) : absl::Hours(4);
      if (rq.has_requested_duration()) {
        max = std::min(max, absl::Seconds(rq.requested_duration().seconds()));
      }
      *r.mutable_max_duration() = Dur(max);
      *r.mutable_request_ttl() = Dur(absl::Hours(48));
      for (const std::string& role : rq.requested_roles()) {
        auto* rt = r.add_thresholds();
        rt->set_role(role);
        auto* t = rt->add_thresholds();
        t->set_name("default");
        t->set_approve(approvals_needed_);
        t->set_deny(denials_needed_);
      }
      r.add_suggested_reviewers("carol");
      return r;
    });
    policy_.check_review.Handle([](const policy::v1::CheckReviewRequest& rq)
                                    -> absl::StatusOr<policy::v1::CheckReviewResponse> {
      policy::v1::CheckReviewResponse r;
      const auto& roles = rq.reviewer().roles();
      if (std::find(roles.begin(), roles.end(), "reviewer") == roles.end()) {
        r.mutable_explanation()->set_summary("denied: no role allows reviewing");
        return r;
      }
      r.set_allowed(true);
      *r.mutable_matching_thresholds() = rq.request().thresholds();
      return r;
    });
    policy_.check_permission.Handle([](const policy::v1::CheckPermissionRequest& rq)
                                        -> absl::StatusOr<policy::v1::CheckPermissionResponse> {
      policy::v1::CheckPermissionResponse r;
      const auto& roles = rq.identity().roles();
      r.set_allowed(std::find(roles.begin(), roles.end(), "admin") != roles.end());
      r.mutable_explanation()->set_summary(r.allowed() ? "allowed" : "denied: no rule");
      return r;
    });
  }

  v1::CreateRequestRequest Ask(std::vector<std::string> roles, std::string reason = "ticket 1") {
    v1::CreateRequestRequest rq;
    for (auto& r : roles) rq.add_roles(r);
    rq.set_reason(reason);
    return rq;
  }

  absl::StatusOr<AccessRequest> Create(const v1::CreateRequestRequest& rq) {
    return lifecycle_.Create(alice_, ActorOf(alice_), rq);
  }

  absl::StatusOr<AccessRequest> Review(const Identity& who, const std::string& id,
                                       AccessReview::Verdict verdict,
                                       std::vector<std::string> roles = {}) {
    v1::ReviewRequestRequest rq;
    rq.set_id(id);
    rq.set_verdict(verdict);
    rq.set_reason("looked at it");
    for (auto& r : roles) rq.add_roles(r);
    return lifecycle_.Review(who, ActorOf(who), rq);
  }

  std::vector<std::string> EventTypes() {
    std::vector<std::string> types;
    for (const AuditEvent& e : store_.events()) types.push_back(e.type());
    return types;
  }

  FakeClock clock_;
  testing::InMemoryRequestStore store_;
  policy::testing::FakePolicyClient policy_;
  policy::PolicyPermissionChecker permissions_;
  RequestLifecycle lifecycle_;
  bool reason_required_ = false;
  uint32_t approvals_needed_ = 1;
  uint32_t denials_needed_ = 1;
  const Identity alice_ = User("alice", {"dev"});
  const Identity bob_ = User("bob", {"reviewer"});
  const Identity dave_ = User("dave", {"reviewer"});
  const Identity eve_ = User("eve", {"dev"});
  const Identity root_ = User("root", {"admin"});
};

TEST_F(RequestLifecycleTest, CreateStoresAPendingRequestOnPolicysTerms) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  *rq.mutable_requested_duration() = Dur(absl::Hours(2));
  rq.add_suggested_reviewers("bob");
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  EXPECT_EQ(r.user(), "alice");
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(r.max_duration().seconds(), 2 * 3600);
  EXPECT_EQ(FromProtoTimestamp(r.pending_expire_time()), clock_.Now() + absl::Hours(48));
  EXPECT_THAT(r.suggested_reviewers(), ElementsAre("bob", "carol"));
  ASSERT_EQ(r.thresholds_size(), 1);
  ASSERT_EQ(r.history_size(), 1);
  EXPECT_EQ(r.history(0).from_state(), ACCESS_REQUEST_STATE_UNSPECIFIED);
  EXPECT_EQ(r.history(0).to_state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_EQ(r.history(0).actor(), "alice");
  EXPECT_THAT(EventTypes(), ElementsAre("access_request.create"));
  EXPECT_EQ(policy_.check_request.requests().back().user().name(), "alice");
}

TEST_F(RequestLifecycleTest, CreateDeniedByPolicyIsPermissionDeniedNamingRoleAndRule) {
  EXPECT_THAT(Create(Ask({"forbidden"})),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("role \"dev\" denies requesting \"forbidden\"")));
  EXPECT_TRUE(store_.events().empty());
}

TEST_F(RequestLifecycleTest, CreateWithoutRequiredReasonIsInvalidArgument) {
  reason_required_ = true;
  EXPECT_THAT(Create(Ask({"dba"}, "")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Which ticket?")));
}

TEST_F(RequestLifecycleTest, CreateOverTheMaximumDurationNamesTheMaximum) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  *rq.mutable_requested_duration() = Dur(absl::Hours(10));
  EXPECT_THAT(Create(rq), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("over the allowed maximum of 4h")));
}

TEST_F(RequestLifecycleTest, CreateRefusesBadInputNamingTheLimit) {
  EXPECT_THAT(Create(Ask({})), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles")));
  EXPECT_THAT(Create(Ask({"dba"}, std::string(2049, 'x'))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2048 bytes")));
  EXPECT_THAT(Create(Ask({"dba"}, "bad \xff utf-8")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  v1::CreateRequestRequest zero = Ask({"dba"});
  *zero.mutable_requested_duration() = Dur(absl::ZeroDuration());
  EXPECT_THAT(Create(zero),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requested_duration")));
  v1::CreateRequestRequest past = Ask({"dba"});
  SetProtoTimestamp(clock_.Now() - absl::Minutes(5), past.mutable_start_time());
  EXPECT_THAT(Create(past), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("skew")));
  v1::CreateRequestRequest far = Ask({"dba"});
  SetProtoTimestamp(clock_.Now() + absl::Hours(24 * 31), far.mutable_start_time());
  EXPECT_THAT(Create(far), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("720h")));
  EXPECT_TRUE(policy_.check_request.requests().empty());
}

TEST_F(RequestLifecycleTest, DryRunStoresNothing) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  rq.set_dry_run(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  EXPECT_TRUE(r.id().empty());
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_TRUE(store_.events().empty());
}

TEST_F(RequestLifecycleTest, SameKeyAndContentReturnsTheFirstRequest) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  rq.set_request_key("k1");
  ASSERT_OK_AND_ASSIGN(AccessRequest first, Create(rq));
  ASSERT_OK_AND_ASSIGN(AccessRequest again, Create(rq));
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(store_.events().size(), 1);
}

TEST_F(RequestLifecycleTest, SameKeyWithOtherContentIsAlreadyExists) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  rq.set_request_key("k1");
  ASSERT_THAT(Create(rq), IsOk());
  rq.set_reason("another reason");
  EXPECT_THAT(Create(rq), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(RequestLifecycleTest, PolicyDownIsUnavailable) {
  policy_.check_request.Answer(absl::UnavailableError("policy down"));
  EXPECT_THAT(Create(Ask({"dba"})), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RequestLifecycleTest, ApprovalAtTheThresholdGrantsFromApprovalForTheDuration) {
  approvals_needed_ = 2;
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK_AND_ASSIGN(AccessRequest one, Review(bob_, r.id(), AccessReview::VERDICT_APPROVE));
  EXPECT_EQ(one.state(), ACCESS_REQUEST_STATE_PENDING);
  EXPECT_THAT(one.reviews(0).threshold_names(), ElementsAre("dba/default"));
  ASSERT_OK_AND_ASSIGN(AccessRequest two, Review(dave_, r.id(), AccessReview::VERDICT_APPROVE));
  EXPECT_EQ(two.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_THAT(two.granted_roles(), ElementsAre("dba"));
  EXPECT_EQ(FromProtoTimestamp(two.access_start_time()), clock_.Now());
  EXPECT_EQ(FromProtoTimestamp(two.access_expire_time()), clock_.Now() + absl::Hours(4));
  ASSERT_EQ(two.history_size(), 2);
  EXPECT_EQ(two.history(1).to_state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_EQ(two.history(1).actor(), "dave");
  EXPECT_THAT(EventTypes(), ElementsAre("access_request.create", "access_request.review",
                                        "access_request.review", "access_request.approve"));
}

TEST_F(RequestLifecycleTest, TheRequesterNeverReviewsTheirOwnRequest) {
  Identity alice_reviewer = User("alice", {"dev", "reviewer"});
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  EXPECT_THAT(Review(alice_reviewer, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("own request")));
  EXPECT_TRUE(policy_.check_review.requests().empty());
}

TEST_F(RequestLifecycleTest, AReviewerReviewsOnce) {
  approvals_needed_ = 2;
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  EXPECT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(RequestLifecycleTest, ReviewOfADecidedRequestIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_DENY), IsOk());
  EXPECT_THAT(Review(dave_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("DENIED")));
}

TEST_F(RequestLifecycleTest, AMetDenialThresholdDeniesEvenAfterApprovals) {
  approvals_needed_ = 3;
  denials_needed_ = 1;
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessRequest denied, Review(dave_, r.id(), AccessReview::VERDICT_DENY));
  EXPECT_EQ(denied.state(), ACCESS_REQUEST_STATE_DENIED);
  EXPECT_EQ(denied.resolved_by(), "dave");
  EXPECT_EQ(EventTypes().back(), "access_request.deny");
}

TEST_F(RequestLifecycleTest, ASubsetApprovalGrantsOnlyTheApprovedRoles) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba", "web"})));
  ASSERT_OK_AND_ASSIGN(AccessRequest approved,
                       Review(bob_, r.id(), AccessReview::VERDICT_APPROVE, {"web"}));
  EXPECT_EQ(approved.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_THAT(approved.granted_roles(), ElementsAre("web"));
}

TEST_F(RequestLifecycleTest, SubsetRolesMustHaveBeenRequested) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  EXPECT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE, {"root"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not requested")));
}

TEST_F(RequestLifecycleTest, AStartTimeOpensTheWindowThenNotAtApproval) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  const absl::Time start = clock_.Now() + absl::Hours(3);
  SetProtoTimestamp(start, rq.mutable_start_time());
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  ASSERT_OK_AND_ASSIGN(AccessRequest approved, Review(bob_, r.id(), AccessReview::VERDICT_APPROVE));
  EXPECT_EQ(FromProtoTimestamp(approved.access_start_time()), start);
  EXPECT_EQ(FromProtoTimestamp(approved.access_expire_time()), start + absl::Hours(4));
  v1::ListActiveGrantsRequest list;
  list.set_user("alice");
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse grants, lifecycle_.ListActiveGrants(list));
  ASSERT_EQ(grants.grants_size(), 1);
  EXPECT_FALSE(grants.grants(0).active());  // not started yet
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(grants, lifecycle_.ListActiveGrants(list));
  EXPECT_TRUE(grants.grants(0).active());
}

TEST_F(RequestLifecycleTest, AReviewBySomeoneWhoMayNotReadTheRequestRevealsNothingOfIt) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  // Neither whether a role was requested ...
  EXPECT_THAT(Review(eve_, r.id(), AccessReview::VERDICT_APPROVE, {"not-requested"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_DENY), IsOk());
  // ... nor its state.
  absl::StatusOr<AccessRequest> late = Review(eve_, r.id(), AccessReview::VERDICT_APPROVE);
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(late.status().message(), Not(HasSubstr("DENIED")));
}

TEST_F(RequestLifecycleTest, AReviewPolicyRefusesIsPermissionDenied) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  EXPECT_THAT(Review(eve_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no role allows")));
}

TEST_F(RequestLifecycleTest, TheRequesterCancelsAPendingRequest) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  v1::CancelRequestRequest rq;
  rq.set_id(r.id());
  rq.set_reason("not needed");
  EXPECT_THAT(lifecycle_.Cancel(bob_, ActorOf(bob_), rq),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(AccessRequest cancelled, lifecycle_.Cancel(alice_, ActorOf(alice_), rq));
  EXPECT_EQ(cancelled.state(), ACCESS_REQUEST_STATE_CANCELLED);
  EXPECT_EQ(cancelled.history(1).reason(), "not needed");
  EXPECT_THAT(lifecycle_.Cancel(alice_, ActorOf(alice_), rq),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(EventTypes().back(), "access_request.cancel");
}

TEST_F(RequestLifecycleTest, ARevokedGrantIsListedWithItsRevokeTime) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  clock_.Advance(absl::Minutes(5));
  v1::RevokeGrantRequest rq;
  rq.set_id(r.id());
  rq.set_reason("done");
  EXPECT_THAT(lifecycle_.RevokeGrant(eve_, ActorOf(eve_), rq),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(Grant grant, lifecycle_.RevokeGrant(alice_, ActorOf(alice_), rq));
  EXPECT_FALSE(grant.active());
  EXPECT_EQ(FromProtoTimestamp(grant.revoke_time()), clock_.Now());
  EXPECT_EQ(grant.revoked_by(), "alice");
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse grants, lifecycle_.ListActiveGrants({}));
  ASSERT_EQ(grants.grants_size(), 1);
  EXPECT_TRUE(grants.grants(0).has_revoke_time());
  EXPECT_THAT(lifecycle_.RevokeGrant(alice_, ActorOf(alice_), rq),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(EventTypes().back(), "grant.revoke");
}

TEST_F(RequestLifecycleTest, RevokedOnlyListsRevokedGrantsUntilTheirWindowEnds) {
  ASSERT_OK_AND_ASSIGN(AccessRequest kept, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, kept.id(), AccessReview::VERDICT_APPROVE), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  v1::RevokeGrantRequest rq;
  rq.set_id(r.id());
  rq.set_reason("done");
  ASSERT_THAT(lifecycle_.RevokeGrant(alice_, ActorOf(alice_), rq), IsOk());
  v1::ListActiveGrantsRequest list;
  list.set_revoked_only(true);
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse grants, lifecycle_.ListActiveGrants(list));
  ASSERT_EQ(grants.grants_size(), 1);
  EXPECT_EQ(grants.grants(0).id(), r.id());
  EXPECT_TRUE(grants.grants(0).has_revoke_time());
  ASSERT_OK_AND_ASSIGN(grants, lifecycle_.ListActiveGrants({}));
  EXPECT_EQ(grants.grants_size(), 2);
  clock_.Advance(absl::Hours(24 * 30));
  ASSERT_OK_AND_ASSIGN(grants, lifecycle_.ListActiveGrants(list));
  EXPECT_EQ(grants.grants_size(), 0);
}

TEST_F(RequestLifecycleTest, AnAdminOrAReviewerMayRevoke) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  v1::RevokeGrantRequest rq;
  rq.set_id(r.id());
  ASSERT_THAT(lifecycle_.RevokeGrant(root_, ActorOf(root_), rq), IsOk());
  ASSERT_OK_AND_ASSIGN(AccessRequest r2, Create(Ask({"web"})));
  ASSERT_THAT(Review(bob_, r2.id(), AccessReview::VERDICT_APPROVE), IsOk());
  rq.set_id(r2.id());
  EXPECT_THAT(lifecycle_.RevokeGrant(dave_, ActorOf(dave_), rq), IsOk());
}

TEST_F(RequestLifecycleTest, ThePendingRequestExpiresAfterTheRequestTtl) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  clock_.Advance(absl::Hours(47));
  ASSERT_THAT(lifecycle_.ExpireDue(10), ::jit::testing::IsOkAndHolds(0));
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(lifecycle_.ExpireDue(10), ::jit::testing::IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(AccessRequest expired, store_.Get(r.id()));
  EXPECT_EQ(expired.state(), ACCESS_REQUEST_STATE_EXPIRED);
  EXPECT_EQ(expired.history(1).actor(), "system:expiry");
  EXPECT_EQ(EventTypes().back(), "access_request.expire");
  ASSERT_THAT(lifecycle_.ExpireDue(10), ::jit::testing::IsOkAndHolds(0));
}

TEST_F(RequestLifecycleTest, TheGrantExpiresAtTheEndOfItsWindow) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  ASSERT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE), IsOk());
  clock_.Advance(absl::Hours(4));
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse grants, lifecycle_.ListActiveGrants({}));
  EXPECT_EQ(grants.grants_size(), 0);  // over, even before the sweep
  ASSERT_THAT(lifecycle_.ExpireDue(10), ::jit::testing::IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(AccessRequest expired, store_.Get(r.id()));
  EXPECT_EQ(expired.state(), ACCESS_REQUEST_STATE_EXPIRED);
  EXPECT_EQ(expired.history(2).from_state(), ACCESS_REQUEST_STATE_APPROVED);
}

TEST_F(RequestLifecycleTest, AReviewMeetingADueRequestExpiresItFirst) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  clock_.Advance(absl::Hours(49));
  EXPECT_THAT(Review(bob_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
  ASSERT_OK_AND_ASSIGN(AccessRequest expired, store_.Get(r.id()));
  EXPECT_EQ(expired.state(), ACCESS_REQUEST_STATE_EXPIRED);
  EXPECT_EQ(expired.reviews_size(), 0);
}

TEST_F(RequestLifecycleTest, ReadingAnotherUsersRequestNeedsReviewerOrAdminRights) {
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
  v1::GetRequestRequest rq;
  rq.set_id(r.id());
  EXPECT_THAT(lifecycle_.Get(alice_, rq), IsOk());
  EXPECT_THAT(lifecycle_.Get(bob_, rq), IsOk());
  EXPECT_THAT(lifecycle_.Get(root_, rq), IsOk());
  EXPECT_THAT(lifecycle_.Get(eve_, rq), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RequestLifecycleTest, UnknownIdIsNotFoundAndAMalformedOneInvalid) {
  v1::GetRequestRequest rq;
  rq.set_id("0190b6d6-0000-7000-8000-000000000000");
  EXPECT_THAT(lifecycle_.Get(alice_, rq), StatusIs(absl::StatusCode::kNotFound));
  rq.set_id("no-such-request");
  EXPECT_THAT(lifecycle_.Get(alice_, rq), StatusIs(absl::StatusCode::kNotFound));
  rq.set_id(std::string(100, 'a'));
  EXPECT_THAT(lifecycle_.Get(alice_, rq), StatusIs(absl::StatusCode::kInvalidArgument));
  rq.set_id("");
  EXPECT_THAT(lifecycle_.Get(alice_, rq), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RequestLifecycleTest, ListPagesNewestFirstWithACursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"})));
    ids.push_back(r.id());
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListRequestsRequest rq;
  rq.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse r, lifecycle_.List(alice_, rq));
    for (const auto& req : r.requests()) seen.push_back(req.id());
    if (r.next_page_token().empty()) break;
    rq.set_page_token(r.next_page_token());
    // A request created meanwhile does not disturb the pages after the first.
    ASSERT_THAT(Create(Ask({"web"})), IsOk());
  }
  EXPECT_THAT(seen, ElementsAre(ids[4], ids[3], ids[2], ids[1], ids[0]));
}

TEST_F(RequestLifecycleTest, ListRefusesBadPagingNamingTheLimit) {
  v1::ListRequestsRequest rq;
  rq.set_page_size(1001);
  EXPECT_THAT(lifecycle_.List(alice_, rq),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1000")));
  rq.set_page_size(10);
  rq.set_page_token("not a token");
  EXPECT_THAT(lifecycle_.List(alice_, rq),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(RequestLifecycleTest, ListShowsOwnRequestsUnlessAdminAndReviewableByMe) {
  ASSERT_THAT(Create(Ask({"dba"})), IsOk());
  ASSERT_THAT(lifecycle_.Create(eve_, ActorOf(eve_), Ask({"web"})), IsOk());
  v1::ListRequestsRequest rq;
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse own, lifecycle_.List(alice_, rq));
  ASSERT_EQ(own.requests_size(), 1);
  EXPECT_EQ(own.requests(0).user(), "alice");
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse all, lifecycle_.List(root_, rq));
  EXPECT_EQ(all.requests_size(), 2);
  rq.set_user("eve");
  EXPECT_THAT(lifecycle_.List(alice_, rq), StatusIs(absl::StatusCode::kPermissionDenied));
  rq.clear_user();
  rq.set_reviewable_by_me(true);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse reviewable, lifecycle_.List(bob_, rq));
  EXPECT_EQ(reviewable.requests_size(), 2);
  EXPECT_TRUE(reviewable.next_page_token().empty());
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse none, lifecycle_.List(eve_, rq));
  EXPECT_EQ(none.requests_size(), 0);
}

TEST_F(RequestLifecycleTest, ReviewableByMeListsPendingRequestsUnlessStatesAreGiven) {
  ASSERT_OK_AND_ASSIGN(AccessRequest decided, Create(Ask({"dba"})));
  ASSERT_OK_AND_ASSIGN(AccessRequest open, Create(Ask({"web"})));
  ASSERT_THAT(Review(dave_, decided.id(), AccessReview::VERDICT_APPROVE), IsOk());
  v1::ListRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse pending, lifecycle_.List(bob_, rq));
  ASSERT_EQ(pending.requests_size(), 1);
  EXPECT_EQ(pending.requests(0).id(), open.id());
  rq.add_states(ACCESS_REQUEST_STATE_APPROVED);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse approved, lifecycle_.List(bob_, rq));
  ASSERT_EQ(approved.requests_size(), 1);
  EXPECT_EQ(approved.requests(0).id(), decided.id());
}

TEST_F(RequestLifecycleTest, ReviewableByMeAsksPolicyOncePerDistinctRequestContent) {
  for (int i = 0; i < 6; ++i) ASSERT_THAT(Create(Ask({"dba"}, "ticket 1")), IsOk());
  ASSERT_THAT(Create(Ask({"dba"}, "ticket 2")), IsOk());
  ASSERT_THAT(lifecycle_.Create(eve_, ActorOf(eve_), Ask({"dba"}, "ticket 1")), IsOk());
  const size_t before = policy_.check_review.requests().size();
  v1::ListRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse listed, lifecycle_.List(bob_, rq));
  EXPECT_EQ(listed.requests_size(), 8);
  EXPECT_TRUE(listed.next_page_token().empty());
  // alice's "ticket 1", alice's "ticket 2", eve's "ticket 1".
  EXPECT_EQ(policy_.check_review.requests().size() - before, 3u);
  // A reviewer policy refuses sees none of them, and policy's refusal is remembered too.
  const size_t again = policy_.check_review.requests().size();
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse none, lifecycle_.List(eve_, rq));
  EXPECT_EQ(none.requests_size(), 0);
  EXPECT_EQ(policy_.check_review.requests().size() - again, 2u);  // alice's two contents
}

TEST_F(RequestLifecycleTest, ReviewableByMeStopsAtTheDeadlineAndContinuesFromTheToken) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"}, absl::StrCat("ticket ", i))));
    created.insert(r.id());
  }
  // Each policy call takes a second of the fake clock.
  policy_.check_review.Handle([this](const policy::v1::CheckReviewRequest& rq) {
    clock_.Advance(absl::Seconds(1));
    policy::v1::CheckReviewResponse r;
    r.set_allowed(true);
    *r.mutable_matching_thresholds() = rq.request().thresholds();
    return absl::StatusOr<policy::v1::CheckReviewResponse>(r);
  });
  v1::ListRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  rq.set_page_size(50);
  std::set<std::string> seen;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse page,
                         lifecycle_.List(bob_, rq, clock_.Now() + absl::Milliseconds(2500)));
    EXPECT_LE(page.requests_size(), 3);  // three calls fit before the deadline
    for (const AccessRequest& r : page.requests()) EXPECT_TRUE(seen.insert(r.id()).second);
    rq.set_page_token(page.next_page_token());
    ++pages;
  } while (!rq.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, created);
  EXPECT_EQ(pages, 3);
  // A deadline that passed before anything could be examined is DEADLINE_EXCEEDED (an empty
  // page without a token would claim there is nothing).
  rq.clear_page_token();
  EXPECT_THAT(lifecycle_.List(bob_, rq, clock_.Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(RequestLifecycleTest, ReviewableByMePagesEndWithoutAnEmptyLastPage) {
  std::set<std::string> created;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(Ask({"dba"}, absl::StrCat("ticket ", i))));
    created.insert(r.id());
  }
  v1::ListRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  rq.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse first, lifecycle_.List(bob_, rq));
  ASSERT_EQ(first.requests_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  rq.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse second, lifecycle_.List(bob_, rq));
  ASSERT_EQ(second.requests_size(), 2);
  EXPECT_TRUE(second.next_page_token().empty());
  std::set<std::string> seen;
  for (const auto* page : {&first, &second}) {
    for (const AccessRequest& r : page->requests()) seen.insert(r.id());
  }
  EXPECT_EQ(seen, created);
}

TEST_F(RequestLifecycleTest, BreakGlassGrantsAtOnceWithAnAlertAndAwaitsReview) {
  v1::CreateRequestRequest rq = Ask({"prod"}, "INC-7 database down");
  rq.set_break_glass(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  EXPECT_EQ(r.state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_TRUE(r.break_glass());
  EXPECT_EQ(r.post_review(), jit::common::v1::BREAK_GLASS_REVIEW_AWAITING);
  EXPECT_EQ(FromProtoTimestamp(r.access_start_time()), clock_.Now());
  EXPECT_EQ(FromProtoTimestamp(r.access_expire_time()), clock_.Now() + absl::Minutes(30));
  EXPECT_EQ(FromProtoTimestamp(r.post_review_due_time()), clock_.Now() + absl::Hours(24));
  EXPECT_THAT(r.granted_roles(), ElementsAre("prod"));
  EXPECT_EQ(r.history(0).to_state(), ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_THAT(EventTypes(), ElementsAre("access_request.create", "access_request.break_glass"));
  EXPECT_EQ(store_.events().back().details().fields().at("severity").string_value(), "alert");
  v1::ListActiveGrantsRequest list;
  list.set_user("alice");
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse grants, lifecycle_.ListActiveGrants(list));
  ASSERT_EQ(grants.grants_size(), 1);
  EXPECT_TRUE(grants.grants(0).active());
  EXPECT_TRUE(policy_.check_request.requests().back().break_glass());
}

TEST_F(RequestLifecycleTest, NobodyBreaksGlassOnARoleThatDoesNotAllowIt) {
  v1::CreateRequestRequest rq = Ask({"dba"});
  rq.set_break_glass(true);
  EXPECT_THAT(Create(rq), StatusIs(absl::StatusCode::kPermissionDenied,
                                   HasSubstr("allows break-glass for \"dba\"")));
  EXPECT_TRUE(store_.events().empty());
}

TEST_F(RequestLifecycleTest, BreakGlassFailsClosedWhenPolicyAllowsOnlyANormalRequest) {
  policy_.check_request.Handle([](const policy::v1::CheckRequestRequest&) {
    policy::v1::CheckRequestResponse r;
    r.set_allowed(true);  // but not break_glass
    *r.mutable_max_duration() = Dur(absl::Hours(1));
    return absl::StatusOr<policy::v1::CheckRequestResponse>(r);
  });
  v1::CreateRequestRequest rq = Ask({"prod"});
  rq.set_break_glass(true);
  EXPECT_THAT(Create(rq), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RequestLifecycleTest, AReviewerConfirmsOrFlagsABreakGlassOnce) {
  v1::CreateRequestRequest rq = Ask({"prod"});
  rq.set_break_glass(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  v1::ListRequestsRequest awaiting;
  awaiting.set_break_glass_awaiting_review(true);
  awaiting.set_reviewable_by_me(true);
  ASSERT_OK_AND_ASSIGN(v1::ListRequestsResponse listed, lifecycle_.List(bob_, awaiting));
  ASSERT_EQ(listed.requests_size(), 1);
  Identity alice_reviewer = User("alice", {"dev", "reviewer"});
  EXPECT_THAT(Review(alice_reviewer, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Review(eve_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(AccessRequest flagged, Review(bob_, r.id(), AccessReview::VERDICT_DENY));
  EXPECT_EQ(flagged.post_review(), jit::common::v1::BREAK_GLASS_REVIEW_FLAGGED);
  EXPECT_EQ(flagged.state(), ACCESS_REQUEST_STATE_APPROVED);  // revoking is a separate act
  EXPECT_THAT(Review(dave_, r.id(), AccessReview::VERDICT_APPROVE),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reviewed already")));
  ASSERT_OK_AND_ASSIGN(listed, lifecycle_.List(bob_, awaiting));
  EXPECT_EQ(listed.requests_size(), 0);
  EXPECT_EQ(EventTypes().back(), "access_request.review");
}

TEST_F(RequestLifecycleTest, ABreakGlassStillAwaitsReviewAfterItsWindow) {
  v1::CreateRequestRequest rq = Ask({"prod"});
  rq.set_break_glass(true);
  ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(rq));
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(lifecycle_.ExpireDue(10), ::jit::testing::IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(RequestCounts counts, store_.Counts(clock_.Now()));
  EXPECT_EQ(counts.break_glass_unreviewed, 1);
  EXPECT_EQ(counts.break_glass_overdue, 0);
  clock_.Advance(absl::Hours(24));
  ASSERT_OK_AND_ASSIGN(counts, store_.Counts(clock_.Now()));
  EXPECT_EQ(counts.break_glass_overdue, 1);
  ASSERT_OK_AND_ASSIGN(AccessRequest confirmed,
                       Review(bob_, r.id(), AccessReview::VERDICT_APPROVE));
  EXPECT_EQ(confirmed.state(), ACCESS_REQUEST_STATE_EXPIRED);
  EXPECT_EQ(confirmed.post_review(), jit::common::v1::BREAK_GLASS_REVIEW_CONFIRMED);
}

TEST_F(RequestLifecycleTest, ResolveNeedsEveryCandidateRoleMet) {
  AccessRequest r;
  r.add_roles("a");
  r.add_roles("b");
  for (const char* role : {"a", "b"}) {
    auto* rt = r.add_thresholds();
    rt->set_role(role);
    auto* t = rt->add_thresholds();
    t->set_name("two");
    t->set_approve(2);
    t->set_deny(2);
  }
  auto add = [&](const char* who, AccessReview::Verdict v, std::vector<std::string> roles) {
    AccessReview* review = r.add_reviews();
    review->set_reviewer(who);
    review->set_verdict(v);
    for (auto& role : roles) {
      review->add_roles(role);
    }
    review->add_threshold_names("a/two");
    review->add_threshold_names("b/two");
  };
  add("x", AccessReview::VERDICT_APPROVE, {});
  EXPECT_EQ(Resolve(r).state, ACCESS_REQUEST_STATE_PENDING);
  add("y", AccessReview::VERDICT_APPROVE, {"b"});
  Resolution res = Resolve(r);
  EXPECT_EQ(res.state, ACCESS_REQUEST_STATE_APPROVED);
  EXPECT_THAT(res.granted_roles, ElementsAre("b"));
  r.clear_reviews();
  add("z", AccessReview::VERDICT_DENY, {});
  EXPECT_EQ(Resolve(r).state, ACCESS_REQUEST_STATE_PENDING);  // one denial of two
  add("w", AccessReview::VERDICT_DENY, {});
  EXPECT_EQ(Resolve(r).state, ACCESS_REQUEST_STATE_DENIED);
}

}  // namespace
}  // namespace jit::requests
