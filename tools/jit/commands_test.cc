#include "tools/jit/commands.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/client/testing/fake_user_auth_client.h"
#include "services/requests/client/testing/fake_user_requests_client.h"
#include "tools/jit/session_file.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    std::string tmpl = absl::StrCat(std::getenv("TEST_TMPDIR"), "/XXXXXX");
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    jit_dir_ = tmpl + "/.jit";
  }
  Output Text() { return Output{&out_, Format::kText, kNow}; }
  Output Json() { return Output{&out_, Format::kJson, kNow}; }

  static common::v1::AccessRequest Request(const std::string& id,
                                           common::v1::AccessRequestState s) {
    common::v1::AccessRequest r;
    r.set_id(id);
    r.set_user("alice");
    r.add_roles("developer-read-only-jit");
    r.set_state(s);
    return r;
  }
  void ListAnswers(std::vector<std::string> ids) {
    requests::v1::ListRequestsResponse list;
    for (const std::string& id : ids) {
      *list.add_requests() = Request(id, common::v1::ACCESS_REQUEST_STATE_PENDING);
    }
    requests_.list.Answer(list);
  }

  std::string jit_dir_;
  std::ostringstream out_;
  auth::testing::FakeUserAuthClient auth_;
  requests::testing::FakeUserRequestsClient requests_;
};

TEST_F(CommandsTest, LoginStoresTheTokenAndNeverPrintsIt) {
  auth::v1::LoginResponse r;
  r.set_token("secret-token");
  r.mutable_identity()->set_name("alice");
  *r.mutable_expire_time() = ToProtoTimestamp(kNow + absl::Hours(8));
  auth_.login.Answer(r);
  ASSERT_OK(Login(auth_, jit_dir_, {.user = "alice", .password = "pw"}, Json()));
  EXPECT_THAT(LoadSessionToken(jit_dir_),
              ::jit::testing::IsOkAndHolds(std::string("secret-token")));
  EXPECT_THAT(out_.str(), Not(HasSubstr("secret-token")));
  EXPECT_THAT(out_.str(), HasSubstr("\"name\":\"alice\""));
  EXPECT_EQ(auth_.login.requests()[0].password(), "pw");
}

TEST_F(CommandsTest, LoginAsksForTotpOnlyWhenTheServerWantsIt) {
  auth::v1::LoginResponse ok;
  ok.set_token("t");
  auth_.login.Handle(
      [&](const auth::v1::LoginRequest& req) -> absl::StatusOr<auth::v1::LoginResponse> {
        if (req.totp_code().empty()) return absl::UnauthenticatedError("TOTP code required");
        if (req.totp_code() != "123456") return absl::UnauthenticatedError("invalid credentials");
        return ok;
      });
  int prompts = 0;
  LoginInput in{
      .user = "bob", .password = "pw", .prompt_totp = [&]() -> absl::StatusOr<std::string> {
        ++prompts;
        return std::string("123456");
      }};
  ASSERT_OK(Login(auth_, jit_dir_, in, Text()));
  EXPECT_EQ(prompts, 1);
  EXPECT_THAT(out_.str(), HasSubstr("logged in as"));

  in.prompt_totp = []() -> absl::StatusOr<std::string> { return std::string("000000"); };
  EXPECT_THAT(Login(auth_, jit_dir_, in, Text()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("try `jit login` again")));
}

TEST_F(CommandsTest, LogoutRemovesTheTokenEvenWhenTheSessionHadExpired) {
  ASSERT_OK(SaveSessionToken(jit_dir_, "t"));
  auth_.logout.Answer(absl::UnauthenticatedError("session expired"));
  ASSERT_OK(Logout(&auth_, jit_dir_, Text()));
  EXPECT_THAT(LoadSessionToken(jit_dir_), StatusIs(absl::StatusCode::kNotFound));
  auth_.logout.Answer(absl::UnavailableError("auth down"));
  ASSERT_OK(SaveSessionToken(jit_dir_, "t"));
  EXPECT_THAT(Logout(&auth_, jit_dir_, Text()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(CommandsTest, CreateSendsRolesReasonDurationAndSaysHowToApprove) {
  requests_.create.Handle([](const requests::v1::CreateRequestRequest& req) {
    common::v1::AccessRequest r =
        Request("7f3c1a2b-aaaa", common::v1::ACCESS_REQUEST_STATE_PENDING);
    r.mutable_suggested_reviewers()->CopyFrom(req.suggested_reviewers());
    return absl::StatusOr<common::v1::AccessRequest>(r);
  });
  CreateInput in{.roles = {"developer-read-only-jit"},
                 .reason = "Investigating dashboard latency",
                 .duration = "30m",
                 .reviewers = {"bob"}};
  ASSERT_OK(RequestCreate(requests_, in, Text()));
  const auto sent = requests_.create.requests()[0];
  EXPECT_EQ(sent.requested_duration().seconds(), 1800);
  EXPECT_EQ(sent.reason(), "Investigating dashboard latency");
  EXPECT_THAT(
      out_.str(),
      HasSubstr("created request 7f3c1a2b-aaaa (alice: developer-read-only-jit) is pending"));
  EXPECT_THAT(out_.str(), HasSubstr("reviewers: bob"));
  EXPECT_THAT(out_.str(), HasSubstr("jit request approve 7f3c1a2b"));

  in.duration = "half an hour";
  EXPECT_THAT(RequestCreate(requests_, in, Text()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("e.g. 30m")));
  EXPECT_EQ(requests_.create.requests().size(), 1u);
}

TEST_F(CommandsTest, DryRunSaysWhichRuleWouldDecide) {
  requests_.create.Handle([](const requests::v1::CreateRequestRequest& req) {
    common::v1::AccessRequest r = Request("", common::v1::ACCESS_REQUEST_STATE_APPROVED);
    auto* review = r.add_reviews();
    review->set_reviewer("system:auto-review");
    review->set_reason("rule \"dev-office-hours\" approves");
    return absl::StatusOr<common::v1::AccessRequest>(r);
  });
  CreateInput in{.roles = {"dev-db"}, .reason = "JIRA-1", .dry_run = true};
  ASSERT_OK(RequestCreate(requests_, in, Text()));
  EXPECT_TRUE(requests_.create.requests()[0].dry_run());
  EXPECT_THAT(out_.str(), HasSubstr("nothing was stored"));
  EXPECT_THAT(out_.str(), HasSubstr("approved at once: rule \"dev-office-hours\" approves"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("jit request approve")));

  out_.str("");
  requests_.create.Answer(Request("", common::v1::ACCESS_REQUEST_STATE_PENDING));
  ASSERT_OK(RequestCreate(requests_, in, Text()));
  EXPECT_THAT(out_.str(), HasSubstr("no review rule decides it"));
}

TEST_F(CommandsTest, WaitPollsUntilApprovedWithALiveLine) {
  requests_.create.Answer(Request("7f3c1a2b-aaaa", common::v1::ACCESS_REQUEST_STATE_PENDING));
  int polls = 0;
  requests_.get.Handle([&](const requests::v1::GetRequestRequest& req) {
    EXPECT_EQ(req.id(), "7f3c1a2b-aaaa");
    ++polls;
    common::v1::AccessRequest r =
        Request(req.id(), polls < 3 ? common::v1::ACCESS_REQUEST_STATE_PENDING
                                    : common::v1::ACCESS_REQUEST_STATE_APPROVED);
    if (polls == 2) r.add_reviews()->set_verdict(common::v1::AccessReview::VERDICT_APPROVE);
    return absl::StatusOr<common::v1::AccessRequest>(r);
  });
  absl::Time clock = kNow;
  std::ostringstream status;
  WaitHooks hooks{.sleep = [&](absl::Duration d) { clock += d; },
                  .now = [&] { return clock; },
                  .status = &status};
  ASSERT_OK(RequestCreate(requests_, {.roles = {"developer-read-only-jit"}}, Text(), &hooks));
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(clock, kNow + absl::Seconds(3));
  EXPECT_THAT(status.str(), HasSubstr("\rrequest 7f3c1a2b-aaaa: pending, 1 approval(s)"));
  EXPECT_THAT(out_.str(),
              HasSubstr("request 7f3c1a2b-aaaa (alice: developer-read-only-jit) is approved"));
}

TEST_F(CommandsTest, WaitEndsWithAnErrorWhenDenied) {
  requests_.create.Answer(Request("7f3c1a2b-aaaa", common::v1::ACCESS_REQUEST_STATE_PENDING));
  common::v1::AccessRequest denied =
      Request("7f3c1a2b-aaaa", common::v1::ACCESS_REQUEST_STATE_DENIED);
  denied.set_resolved_by("bob");
  denied.set_resolve_reason("not during the freeze");
  requests_.get.Answer(denied);
  std::ostringstream status;
  WaitHooks hooks{.sleep = [](absl::Duration) {}, .now = [] { return kNow; }, .status = &status};
  EXPECT_THAT(
      RequestCreate(requests_, {.roles = {"developer-read-only-jit"}}, Text(), &hooks),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("request 7f3c1a2b-aaaa was denied by bob (not during the freeze)")));
}

TEST_F(CommandsTest, BreakGlassAsksForItAndSaysItWillBeReviewed) {
  requests_.create.Handle([](const requests::v1::CreateRequestRequest& req) {
    common::v1::AccessRequest r =
        Request("7f3c1a2b-aaaa", common::v1::ACCESS_REQUEST_STATE_APPROVED);
    r.set_break_glass(req.break_glass());
    return absl::StatusOr<common::v1::AccessRequest>(r);
  });
  ASSERT_OK(RequestCreate(
      requests_, {.roles = {"prod-admin"}, .reason = "INC-9 outage", .break_glass = true}, Text()));
  EXPECT_TRUE(requests_.create.requests()[0].break_glass());
  EXPECT_THAT(out_.str(), HasSubstr("is approved"));
  EXPECT_THAT(out_.str(), HasSubstr("break-glass: granted without approval"));
}

TEST_F(CommandsTest, ApproveResolvesAPrefixAndPassesTheServersRefusalThrough) {
  ListAnswers({"7f3c1a2b-aaaa", "9abc0000-bbbb"});
  requests_.review.Answer(absl::PermissionDeniedError("you cannot review your own request"));
  EXPECT_THAT(RequestReview(requests_, "7f3c", true, {}, "ok", Text()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("own request")));
  EXPECT_EQ(requests_.review.requests()[0].id(), "7f3c1a2b-aaaa");
  EXPECT_EQ(requests_.review.requests()[0].verdict(), common::v1::AccessReview::VERDICT_APPROVE);
  EXPECT_THAT(out_.str(), IsEmpty());

  common::v1::AccessRequest approved =
      Request("9abc0000-bbbb", common::v1::ACCESS_REQUEST_STATE_APPROVED);
  *approved.mutable_access_expire_time() = ToProtoTimestamp(kNow + absl::Minutes(30));
  requests_.review.Answer(approved);
  ASSERT_OK(RequestReview(requests_, "9a", true, {"developer-read-only-jit"}, "ok", Text()));
  EXPECT_THAT(out_.str(), HasSubstr("approved: request 9abc0000"));
  EXPECT_THAT(out_.str(), HasSubstr("access ends in 30m"));
  EXPECT_EQ(requests_.review.requests()[1].roles(0), "developer-read-only-jit");
}

TEST_F(CommandsTest, AmbiguousOrUnknownPrefixCallsNothingElse) {
  ListAnswers({"7f3c1a2b-aaaa", "7f3c9999-bbbb"});
  EXPECT_THAT(RequestCancel(requests_, "7f3c", "", Text()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type more")));
  EXPECT_THAT(RequestRevoke(requests_, "zz", "r", Text()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(requests_.cancel.requests().empty());
  EXPECT_TRUE(requests_.revoke.requests().empty());
}

TEST_F(CommandsTest, ListFiltersByStateReviewableAndMine) {
  auth::v1::WhoAmIResponse me;
  me.mutable_identity()->set_name("alice");
  auth_.whoami.Answer(me);
  ListAnswers({"7f3c1a2b-aaaa"});
  ASSERT_OK(RequestList(auth_, requests_, {.states = {"pending"}, .reviewable = true, .mine = true},
                        Json()));
  const auto sent = requests_.list.requests()[0];
  EXPECT_EQ(sent.states(0), common::v1::ACCESS_REQUEST_STATE_PENDING);
  EXPECT_TRUE(sent.reviewable_by_me());
  EXPECT_EQ(sent.user(), "alice");
  EXPECT_THAT(out_.str(), HasSubstr("[{\"id\":\"7f3c1a2b-aaaa\""));
  EXPECT_THAT(RequestList(auth_, requests_, {.states = {"open"}}, Json()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CommandsTest, ListFollowsPages) {
  requests_.list.Handle([](const requests::v1::ListRequestsRequest& req) {
    requests::v1::ListRequestsResponse page;
    if (req.page_token().empty()) {
      *page.add_requests() = Request("a-1", common::v1::ACCESS_REQUEST_STATE_PENDING);
      page.set_next_page_token("p2");
    } else {
      *page.add_requests() = Request("b-2", common::v1::ACCESS_REQUEST_STATE_PENDING);
    }
    return absl::StatusOr<requests::v1::ListRequestsResponse>(page);
  });
  EXPECT_THAT(ResolveRequestId(requests_, "b"), ::jit::testing::IsOkAndHolds(std::string("b-2")));
  // Two pages of what the caller may list, two of what they may review.
  EXPECT_EQ(requests_.list.requests().size(), 4u);
}

TEST_F(CommandsTest, ResolveFindsARequestOnlyTheReviewerListSees) {
  requests_.list.Handle([](const requests::v1::ListRequestsRequest& req) {
    requests::v1::ListRequestsResponse page;
    if (req.reviewable_by_me()) {
      *page.add_requests() = Request("c-3", common::v1::ACCESS_REQUEST_STATE_PENDING);
    }
    return absl::StatusOr<requests::v1::ListRequestsResponse>(page);
  });
  EXPECT_THAT(ResolveRequestId(requests_, "c"), ::jit::testing::IsOkAndHolds(std::string("c-3")));
}

TEST_F(CommandsTest, LogoutRemovesTheTokenEvenWhenAuthIsDown) {
  ASSERT_OK(SaveSessionToken(jit_dir_, "t"));
  auth_.logout.Answer(absl::UnavailableError("auth service at x is unavailable"));
  EXPECT_THAT(Logout(&auth_, jit_dir_, Text()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("removed the stored token")));
  EXPECT_THAT(LoadSessionToken(jit_dir_), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CommandsTest, StatusShowsIdentityAndOwnOpenRequests) {
  auth::v1::WhoAmIResponse me;
  me.mutable_identity()->set_name("alice");
  me.mutable_identity()->add_roles("developer");
  auth_.whoami.Answer(me);
  ListAnswers({"7f3c1a2b-aaaa"});
  ASSERT_OK(ShowStatus(auth_, requests_, Text()));
  EXPECT_THAT(out_.str(), HasSubstr("User:"));
  EXPECT_THAT(out_.str(), HasSubstr("developer"));
  EXPECT_THAT(out_.str(), HasSubstr("7f3c1a2b"));
  EXPECT_EQ(requests_.list.requests()[0].user(), "alice");
  EXPECT_EQ(requests_.list.requests()[0].states_size(), 2);
}

}  // namespace
}  // namespace jit::cli
