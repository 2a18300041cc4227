// Two real jit-requests replicas on one PostgreSQL database, with a real jit-auth (session
// tokens) and a real jit-policy (the example roles of deploy/local: dave holds "dev" and
// may request developer-read-only-jit with a reason; dba1..dba4 hold "dba" and review it,
// one approval or one denial deciding).
//
// RacingReviewsAndCancelEndInOneLegalTransition fires, for hundreds of rounds, a create
// then at once four reviewers (approve or deny) and the requester's cancel, spread over
// both replicas, and checks every request's history: exactly one transition out of
// PENDING, by exactly the one call that succeeded; every other call FAILED_PRECONDITION
// (or ALREADY_EXISTS, never another code). It runs once (not per case) and stays well
// under a minute.
//
// AWatchOnOneReplicaSeesBothAndResumesWithoutGapOrRepeat follows WatchRequests (reviewer
// dba0, reviewable_by_me) on one replica while requests are created and approved through
// both, drops the stream, lets more changes happen, and resumes on the other replica from
// the last revision it received: every change arrives exactly once, in revision order.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"

namespace jit {
namespace {

namespace pb = ::jit::requests::v1;
using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_CANCELLED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using Event = ::jit::requests::v1::RequestEvent;
using ::jit::common::v1::AccessRequest;
using ::jit::common::v1::AccessReview;
using ::jit::testing::IsOk;
using ::jit::testing::RunfilePath;
using ::jit::testing::StatusIs;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::AuthServer;
using ::jit::testkit::CallContext;
using ::jit::testkit::Eventually;
using ::jit::testkit::NewStub;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceProcess;

constexpr char kRole[] = "developer-read-only-jit";
constexpr int kReviewers = 4;
constexpr int kRounds = 200;

class RequestsReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auth_db_, db::testing::TestDatabase::Create());
    ASSERT_OK_AND_ASSIGN(policy_db_, db::testing::TestDatabase::Create());
    ASSERT_OK_AND_ASSIGN(requests_db_, db::testing::TestDatabase::Create());
    std::vector<testkit::LocalUser> users = {
        {.name = "dave", .roles = {"dev"}, .password = "dave's password, long"}};
    for (int i = 0; i < kReviewers; ++i) {
      users.push_back({.name = absl::StrCat("dba", i),
                       .roles = {"dba"},
                       .password = absl::StrCat("dba", i, "'s password, long")});
    }
    ASSERT_OK_AND_ASSIGN(
        auth_, AuthServer::StartServing({.db_url = auth_db_->conninfo(), .users = users}));
    ASSERT_OK_AND_ASSIGN(
        policy_, ServiceProcess::StartServing(
                     {.service = "policy",
                      .db_url = policy_db_->conninfo(),
                      .peers = {{"auth", auth_->address()}},
                      .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")}}));
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK_AND_ASSIGN(auto replica,
                           ServiceProcess::Start({.service = "requests",
                                                  .db_url = requests_db_->conninfo(),
                                                  .peers = {{"auth", auth_->address()},
                                                            {"policy", policy_->address()}}}));
      replicas_.push_back(std::move(replica));
    }
    for (auto& r : replicas_) {
      ASSERT_OK(r->WaitServing());
      stubs_.push_back(NewStub<pb::RequestsService>(r->address(), AnonymousCredentials()));
    }
    ASSERT_OK_AND_ASSIGN(dave_, auth_->LoginToken("dave"));
    for (int i = 0; i < kReviewers; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string token, auth_->LoginToken(absl::StrCat("dba", i)));
      reviewer_tokens_.push_back(token);
    }
    // Token checks fail closed (UNAVAILABLE) until a replica's revocation list is loaded.
    for (auto& stub : stubs_) {
      ASSERT_TRUE(Eventually([&] {
        pb::ListRequestsResponse list;
        return stub->ListRequests(CallContext(dave_).get(), {}, &list).ok();
      }));
    }
  }

  void TearDown() override {
    stubs_.clear();
    for (auto& r : replicas_) EXPECT_OK(r->Stop());
    if (policy_ != nullptr) EXPECT_OK(policy_->Stop());
    if (auth_ != nullptr) EXPECT_OK(auth_->Stop());
  }

  pb::RequestsService::Stub& Replica(int i) { return *stubs_[i % stubs_.size()]; }

  absl::StatusOr<AccessRequest> Create(int replica) {
    pb::CreateRequestRequest rq;
    rq.add_roles(kRole);
    rq.set_reason("INC-1: look at the slow query");
    AccessRequest out;
    grpc::Status s = Replica(replica).CreateRequest(CallContext(dave_).get(), rq, &out);
    if (!s.ok()) return FromGrpcStatus(s);
    return out;
  }

  std::unique_ptr<db::testing::TestDatabase> auth_db_, policy_db_, requests_db_;
  std::unique_ptr<AuthServer> auth_;
  std::unique_ptr<ServiceProcess> policy_;
  std::vector<std::unique_ptr<ServiceProcess>> replicas_;
  std::vector<std::unique_ptr<pb::RequestsService::Stub>> stubs_;
  std::string dave_;
  std::vector<std::string> reviewer_tokens_;
};

TEST_F(RequestsReplicasTest, RacingReviewsAndCancelEndInOneLegalTransition) {
  const absl::Time start = absl::Now();
  int approved = 0, denied = 0, cancelled = 0;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_OK_AND_ASSIGN(AccessRequest request, Create(round));
    ASSERT_EQ(request.state(), ACCESS_REQUEST_STATE_PENDING);
    // kReviewers reviews and one cancel, released together, over both replicas.
    constexpr int kCalls = kReviewers + 1;
    absl::Barrier* barrier = new absl::Barrier(kCalls);
    std::vector<absl::Status> results(kCalls);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCalls; ++i) {
      threads.emplace_back([&, i] {
        auto context = CallContext(i < kReviewers ? reviewer_tokens_[i] : dave_);
        AccessRequest reply;
        if (barrier->Block()) delete barrier;
        grpc::Status s;
        if (i < kReviewers) {
          pb::ReviewRequestRequest rq;
          rq.set_id(request.id());
          rq.set_verdict((round + i) % 3 == 0 ? AccessReview::VERDICT_DENY
                                              : AccessReview::VERDICT_APPROVE);
          rq.set_reason("checked");
          s = Replica(round + i).ReviewRequest(context.get(), rq, &reply);
        } else {
          pb::CancelRequestRequest rq;
          rq.set_id(request.id());
          rq.set_reason("not needed any more");
          s = Replica(round + i).CancelRequest(context.get(), rq, &reply);
        }
        results[i] = FromGrpcStatus(s);
      });
    }
    for (auto& t : threads) t.join();

    int winners = 0;
    for (int i = 0; i < kCalls; ++i) {
      if (results[i].ok()) {
        ++winners;
      } else {
        EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kFailedPrecondition))
            << "round " << round << " call " << i;
      }
    }
    EXPECT_EQ(winners, 1) << "round " << round;

    pb::GetRequestRequest get;
    get.set_id(request.id());
    AccessRequest stored;
    ASSERT_TRUE(Replica(round + 1).GetRequest(CallContext(dave_).get(), get, &stored).ok());
    ASSERT_EQ(stored.history_size(), 2) << stored.DebugString();
    EXPECT_EQ(stored.history(0).to_state(), ACCESS_REQUEST_STATE_PENDING);
    EXPECT_EQ(stored.history(1).from_state(), ACCESS_REQUEST_STATE_PENDING);
    EXPECT_EQ(stored.history(1).to_state(), stored.state());
    EXPECT_LT(stored.history(0).revision(), stored.history(1).revision());
    EXPECT_EQ(stored.revision(), stored.history(1).revision());
    EXPECT_LE(stored.reviews_size(), 1);
    switch (stored.state()) {
      case ACCESS_REQUEST_STATE_APPROVED:
        ++approved;
        EXPECT_EQ(stored.reviews(0).verdict(), AccessReview::VERDICT_APPROVE);
        EXPECT_TRUE(results[kReviewers].code() == absl::StatusCode::kFailedPrecondition);
        break;
      case ACCESS_REQUEST_STATE_DENIED:
        ++denied;
        EXPECT_EQ(stored.reviews(0).verdict(), AccessReview::VERDICT_DENY);
        break;
      case ACCESS_REQUEST_STATE_CANCELLED:
        ++cancelled;
        EXPECT_TRUE(results[kReviewers].ok());
        EXPECT_EQ(stored.reviews_size(), 0);
        break;
      default:
        ADD_FAILURE() << "round " << round << " ended in " << stored.state();
    }
    if (HasFailure()) break;
  }
  EXPECT_EQ(approved + denied + cancelled, kRounds);
  std::cerr << kRounds << " rounds in " << absl::FormatDuration(absl::Now() - start)
            << ": approved " << approved << ", denied " << denied << ", cancelled " << cancelled
            << "\n";

  // The ca sees the approved grants of dave; a person may not call ListActiveGrants.
  auto ca = NewStub<pb::RequestsService>(replicas_[0]->address(), ServiceCredentials("ca"));
  pb::ListActiveGrantsRequest grants_rq;
  grants_rq.set_user("dave");
  grants_rq.set_page_size(1000);
  pb::ListActiveGrantsResponse grants;
  ASSERT_TRUE(ca->ListActiveGrants(CallContext().get(), grants_rq, &grants).ok());
  EXPECT_EQ(grants.grants_size(), approved);
  EXPECT_EQ(Replica(0).ListActiveGrants(CallContext(dave_).get(), grants_rq, &grants).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RequestsReplicasTest, AWatchOnOneReplicaSeesBothAndResumesWithoutGapOrRepeat) {
  // Reads the next event that is not a heartbeat (false when the stream ends first).
  auto next = [](grpc::ClientReader<Event>& reader, Event* event) {
    while (reader.Read(event)) {
      if (event->type() != Event::TYPE_HEARTBEAT) return true;
    }
    return false;
  };
  pb::WatchRequestsRequest watch;
  watch.set_reviewable_by_me(true);
  auto context = CallContext(reviewer_tokens_[0], absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<Event>> reader =
      Replica(0).WatchRequests(context.get(), watch);
  Event event;
  ASSERT_TRUE(reader->Read(&event));  // the (empty) snapshot ends with a heartbeat
  ASSERT_EQ(event.type(), Event::TYPE_HEARTBEAT);
  int64_t last = event.revision();

  // Phase 1: four requests through both replicas, all seen on replica 0.
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(i));
    ids.push_back(r.id());
  }
  std::vector<std::string> seen;  // "CREATED <id>" / "UPDATED <id> <state>"
  auto record = [&](const Event& e) {
    EXPECT_GT(e.revision(), last) << "revisions must grow";
    last = e.revision();
    seen.push_back(e.type() == Event::TYPE_CREATED
                       ? absl::StrCat("CREATED ", e.request().id())
                       : absl::StrCat("UPDATED ", e.request().id(), " ", e.request().state()));
  };
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(next(*reader, &event)) << "after " << i << " events";
    record(event);
  }
  // The client goes away.
  context->TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();

  // Phase 2, while nobody watches: two more requests, and two of the first four approved.
  std::vector<std::string> expected = seen;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(AccessRequest r, Create(i + 1));
    expected.push_back(absl::StrCat("CREATED ", r.id()));
  }
  for (int i = 0; i < 2; ++i) {
    pb::ReviewRequestRequest rq;
    rq.set_id(ids[i]);
    rq.set_verdict(AccessReview::VERDICT_APPROVE);
    rq.set_reason("checked");
    AccessRequest reply;
    ASSERT_TRUE(Replica(i).ReviewRequest(CallContext(reviewer_tokens_[1]).get(), rq, &reply).ok());
    expected.push_back(
        absl::StrCat("UPDATED ", ids[i], " ", static_cast<int>(ACCESS_REQUEST_STATE_APPROVED)));
  }

  // Phase 3: resume on replica 1 after the last revision received.
  watch.set_after_revision(last);
  auto resumed_context = CallContext(reviewer_tokens_[0], absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<Event>> resumed =
      Replica(1).WatchRequests(resumed_context.get(), watch);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(next(*resumed, &event)) << "after " << i << " resumed events";
    record(event);
  }
  resumed_context->TryCancel();
  while (resumed->Read(&event)) {
  }
  resumed->Finish();
  EXPECT_EQ(seen, expected);

  // Someone without reviewer rights over these requests sees none of them: dave watches
  // his own (all of them), and a user filter naming someone else is refused.
  pb::WatchRequestsRequest others;
  others.set_user("dba1");
  auto refused_context = CallContext(dave_);
  std::unique_ptr<grpc::ClientReader<Event>> refused =
      Replica(1).WatchRequests(refused_context.get(), others);
  while (refused->Read(&event)) {
  }
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace jit
