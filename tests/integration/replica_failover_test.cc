// Two replicas of auth, policy and requests on one PostgreSQL database, every client calling
// the two of each round robin (common/client/peer.h: "localhost:a,localhost:b" for the
// services' --<peer>_addr and for the person's UserSession, as jit uses it), and one replica
// of each killed with SIGKILL halfway through a run of request/approval walkthroughs: every
// walkthrough completes, none is lost or doubled (issue 14).
//
// The services reach auth on its service lane (--service_listen_addr). The person's writes
// carry an idempotency key (CreateRequest's request_key) or are checked after a retry
// (ReviewRequest: a retry that finds the request already decided by that review is the
// first attempt's success); reads are retried by the channel itself (peer.h).
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/client/user_session.h"
#include "common/db/testing/test_database.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"

namespace jit {
namespace {

namespace pb = ::jit::requests::v1;
using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::AccessRequest;
using ::jit::common::v1::AccessReview;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testkit::AuthOptions;
using ::jit::testkit::AuthServer;
using ::jit::testkit::ServiceProcess;

constexpr char kRole[] = "developer-read-only-jit";
constexpr int kRounds = 24;  // half before the kill, half after
constexpr int kAttempts = 3;

std::string List(const std::vector<int>& ports) {
  std::string out;
  for (int port : ports) absl::StrAppend(&out, out.empty() ? "" : ",", "localhost:", port);
  return out;
}

class ReplicaFailoverTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    const std::vector<int> auth_ports = {PickUnusedPort(), PickUnusedPort()};
    const std::vector<int> lane_ports = {PickUnusedPort(), PickUnusedPort()};
    const std::vector<int> policy_ports = {PickUnusedPort(), PickUnusedPort()};
    const std::vector<int> requests_ports = {PickUnusedPort(), PickUnusedPort()};
    const std::string kek = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";  // 32 bytes
    for (int r = 0; r < 2; ++r) {
      ASSERT_OK_AND_ASSIGN(
          auto auth,
          AuthServer::StartServing(
              {.db_url = db().conninfo(),
               .users = {{.name = "dave", .roles = {"dev"}, .password = "dave's password, long"},
                         {.name = "dba0", .roles = {"dba"}, .password = "dba0's password, long"}},
               .key_encryption_key_base64 = kek,
               .peers = {{"policy", List(policy_ports)}},
               .flags = {absl::StrCat("--service_listen_addr=127.0.0.1:", lane_ports[r])},
               .port = auth_ports[r]}));
      auth_.push_back(std::move(auth));
    }
    for (int r = 0; r < 2; ++r) {
      ASSERT_OK_AND_ASSIGN(
          auto policy, ServiceProcess::StartServing(
                           {.service = "policy",
                            .db_url = db().conninfo(),
                            .peers = {{"auth", List(lane_ports)}},
                            .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")},
                            .port = policy_ports[r]}));
      policy_.push_back(std::move(policy));
    }
    for (int r = 0; r < 2; ++r) {
      ASSERT_OK_AND_ASSIGN(
          auto requests, ServiceProcess::StartServing(
                             {.service = "requests",
                              .db_url = db().conninfo(),
                              .peers = {{"auth", List(lane_ports)}, {"policy", List(policy_ports)}},
                              .port = requests_ports[r]}));
      requests_.push_back(std::move(requests));
    }
    std::ifstream ca(jit::testing::TestTlsFiles("client").ca_file);
    ASSERT_TRUE(ca);
    ca_pem_.assign(std::istreambuf_iterator<char>(ca), {});
    auth_list_ = List(auth_ports);
    requests_list_ = List(requests_ports);
    // Logins through the auth replicas round robin, as jit does with JIT_AUTH_ADDR=a,b.
    for (const char* user : {"dave", "dba0"}) {
      client::UserSession auth("auth", auth_list_, ca_pem_, "", absl::Seconds(10));
      auto stub = jit::auth::v1::AuthService::NewStub(auth.channel());
      jit::auth::v1::LoginRequest login;
      login.set_username(user);
      login.set_password(absl::StrCat(user, "'s password, long"));
      ASSERT_OK_AND_ASSIGN(jit::auth::v1::LoginResponse response,
                           auth.Call(*stub, &jit::auth::v1::AuthService::Stub::Login, login));
      sessions_.push_back(std::make_unique<client::UserSession>(
          "requests", requests_list_, ca_pem_, response.token(), absl::Seconds(10)));
      stubs_.push_back(pb::RequestsService::NewStub(sessions_.back()->channel()));
    }
    // Token checks fail closed until each replica's revocation list is loaded.
    ASSERT_TRUE(testkit::Eventually([&] {
      for (int i = 0; i < 4; ++i) {
        if (!Dave().Call(DaveStub(), &pb::RequestsService::Stub::ListRequests, {}).ok()) {
          return false;
        }
      }
      return true;
    }));
  }

  client::UserSession& Dave() { return *sessions_[0]; }
  pb::RequestsService::Stub& DaveStub() { return *stubs_[0]; }
  client::UserSession& Dba() { return *sessions_[1]; }
  pb::RequestsService::Stub& DbaStub() { return *stubs_[1]; }

  // A replica of each service, killed with SIGKILL (ServiceProcess's destructor).
  void KillOneReplicaOfEach() {
    auth_[0].reset();
    policy_[0].reset();
    requests_[0].reset();
  }

  // One walkthrough: dave asks (idempotency key `key`), dba0 approves, both see APPROVED
  // with exactly one transition out of PENDING and one review.
  absl::Status Walkthrough(const std::string& key) {
    pb::CreateRequestRequest create;
    create.add_roles(kRole);
    create.set_reason("INC-7: look at the slow query");
    create.set_request_key(key);
    absl::StatusOr<AccessRequest> created;
    for (int i = 0; i < kAttempts; ++i) {
      created = Dave().Call(DaveStub(), &pb::RequestsService::Stub::CreateRequest, create);
      if (!absl::IsUnavailable(created.status())) break;
    }
    RETURN_IF_ERROR(created.status());

    pb::ReviewRequestRequest review;
    review.set_id(created->id());
    review.set_verdict(AccessReview::VERDICT_APPROVE);
    review.set_reason("checked");
    absl::Status reviewed;
    for (int i = 0; i < kAttempts; ++i) {
      reviewed = Dba().Call(DbaStub(), &pb::RequestsService::Stub::ReviewRequest, review).status();
      // A retry after an attempt that did land finds the request decided; GetRequest below
      // shows whether it was this review.
      if (i > 0 && absl::IsFailedPrecondition(reviewed)) reviewed = absl::OkStatus();
      if (!absl::IsUnavailable(reviewed)) break;
    }
    RETURN_IF_ERROR(reviewed);

    pb::GetRequestRequest get;
    get.set_id(created->id());
    ASSIGN_OR_RETURN(AccessRequest stored,
                     Dave().Call(DaveStub(), &pb::RequestsService::Stub::GetRequest, get));
    if (stored.state() != ACCESS_REQUEST_STATE_APPROVED || stored.history_size() != 2 ||
        stored.reviews_size() != 1) {
      return absl::InternalError(absl::StrCat("walkthrough ", key, ": ", stored.DebugString()));
    }
    return absl::OkStatus();
  }

  std::vector<std::unique_ptr<AuthServer>> auth_;
  std::vector<std::unique_ptr<ServiceProcess>> policy_, requests_;
  std::string ca_pem_, auth_list_, requests_list_;
  std::vector<std::unique_ptr<client::UserSession>> sessions_;
  std::vector<std::unique_ptr<pb::RequestsService::Stub>> stubs_;
};

TEST_F(ReplicaFailoverTest, KillingOneReplicaOfEachServiceLosesNoWalkthrough) {
  for (int round = 0; round < kRounds; ++round) {
    if (round == kRounds / 2) KillOneReplicaOfEach();
    EXPECT_OK(Walkthrough(absl::StrCat("failover-", round))) << "round " << round;
  }
  // Every request once, none doubled by a retried create.
  pb::ListRequestsRequest list;
  list.set_page_size(100);
  ASSERT_OK_AND_ASSIGN(pb::ListRequestsResponse all,
                       Dave().Call(DaveStub(), &pb::RequestsService::Stub::ListRequests, list));
  EXPECT_EQ(all.requests_size(), kRounds);
  // The survivors still serve a person logging in anew.
  client::UserSession auth("auth", auth_list_, ca_pem_, "", absl::Seconds(10));
  auto stub = jit::auth::v1::AuthService::NewStub(auth.channel());
  jit::auth::v1::LoginRequest login;
  login.set_username("dave");
  login.set_password("dave's password, long");
  EXPECT_OK(auth.Call(*stub, &jit::auth::v1::AuthService::Stub::Login, login).status());
}

}  // namespace
}  // namespace jit
