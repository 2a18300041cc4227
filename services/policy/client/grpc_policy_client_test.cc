// GrpcPolicyClient against a PolicyService double on a real TLS server: every method reaches
// the policy service with its request and returns its reply; failures map as
// policy_client.h says (down or too slow: UNAVAILABLE; a deployment fault: INTERNAL).
#include "services/policy/client/grpc_policy_client.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/server/grpc_server.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// Answers every decision with a reply naming the method and the identity it was asked
// about, or with `status_` when set; CheckAccess waits for `release_` when told to.
class PolicyDouble final : public v1::PolicyService::Service {
 public:
  grpc::Status CheckRequest(grpc::ServerContext*, const v1::CheckRequestRequest* rq,
                            v1::CheckRequestResponse* reply) override {
    reply->set_allowed(true);
    reply->mutable_explanation()->set_summary("CheckRequest " + rq->user().name());
    return status();
  }
  grpc::Status CheckReview(grpc::ServerContext*, const v1::CheckReviewRequest* rq,
                           v1::CheckReviewResponse* reply) override {
    reply->mutable_explanation()->set_summary("CheckReview " + rq->reviewer().name());
    return status();
  }
  grpc::Status ComputeCertParams(grpc::ServerContext*, const v1::ComputeCertParamsRequest* rq,
                                 v1::ComputeCertParamsResponse* reply) override {
    reply->mutable_params()->add_logins("login-of-" + rq->identity().name());
    return status();
  }
  grpc::Status CheckAccess(grpc::ServerContext*, const v1::CheckAccessRequest* rq,
                           v1::CheckAccessResponse* reply) override {
    if (hold_) release_.WaitForNotification();
    reply->set_allowed(true);
    reply->mutable_explanation()->set_summary("CheckAccess " + rq->identity().name());
    return status();
  }
  grpc::Status CheckPermission(grpc::ServerContext*, const v1::CheckPermissionRequest* rq,
                               v1::CheckPermissionResponse* reply) override {
    reply->set_allowed(true);
    reply->mutable_explanation()->set_summary(
        absl::StrCat("CheckPermission ", rq->verb(), " ", rq->resource()));
    return status();
  }

  void Fail(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
  }
  bool hold_ = false;
  absl::Notification release_;

 private:
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  absl::Mutex mu_;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

jit::common::v1::Identity Alice() {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name("alice");
  return id;
}

class GrpcPolicyClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Serve("policy")); }
  void TearDown() override {
    policy_.release_.Notify();
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }
  // Serves the double with the test certificate of `identity`.
  void Serve(const std::string& identity) {
    ASSERT_OK_AND_ASSIGN(server::TlsMaterial tls,
                         server::LoadTlsMaterial(jit::testing::TestTlsFiles(identity)));
    ASSERT_OK_AND_ASSIGN(
        server_, server::GrpcServer::Start(
                     {.service_name = "policy", .listen_address = "127.0.0.1:0", .tls = tls},
                     {server::RegisteredService::Of<v1::PolicyService>(&policy_)}, nullptr));
    ASSERT_OK_AND_ASSIGN(ca_tls_, server::LoadTlsMaterial(jit::testing::TestTlsFiles("ca")));
    peer_ = std::make_unique<client::PeerClient>(
        "policy", absl::StrCat("localhost:", server_->port()), ca_tls_, absl::Seconds(5));
    client_ = std::make_unique<GrpcPolicyClient>(peer_.get());
  }

  PolicyDouble policy_;
  std::unique_ptr<server::GrpcServer> server_;
  server::TlsMaterial ca_tls_;
  std::unique_ptr<client::PeerClient> peer_;
  std::unique_ptr<GrpcPolicyClient> client_;
};

TEST_F(GrpcPolicyClientTest, EveryMethodReachesPolicyWithItsRequestAndReturnsItsReply) {
  v1::CheckRequestRequest request;
  *request.mutable_user() = Alice();
  ASSERT_OK_AND_ASSIGN(v1::CheckRequestResponse r1, client_->CheckRequest(request));
  EXPECT_EQ(r1.explanation().summary(), "CheckRequest alice");

  v1::CheckReviewRequest review;
  *review.mutable_reviewer() = Alice();
  ASSERT_OK_AND_ASSIGN(v1::CheckReviewResponse r2, client_->CheckReview(review));
  EXPECT_EQ(r2.explanation().summary(), "CheckReview alice");

  v1::ComputeCertParamsRequest params;
  *params.mutable_identity() = Alice();
  ASSERT_OK_AND_ASSIGN(v1::ComputeCertParamsResponse r3, client_->ComputeCertParams(params));
  EXPECT_EQ(r3.params().logins(0), "login-of-alice");

  v1::CheckAccessRequest access;
  *access.mutable_identity() = Alice();
  ASSERT_OK_AND_ASSIGN(v1::CheckAccessResponse r4, client_->CheckAccess(access));
  EXPECT_EQ(r4.explanation().summary(), "CheckAccess alice");

  v1::CheckPermissionRequest permission;
  *permission.mutable_identity() = Alice();
  permission.set_resource("user");
  permission.set_verb("create");
  ASSERT_OK_AND_ASSIGN(v1::CheckPermissionResponse r5, client_->CheckPermission(permission));
  EXPECT_EQ(r5.explanation().summary(), "CheckPermission create user");
}

TEST_F(GrpcPolicyClientTest, AnErrorIsReturnedWithoutAReply) {
  policy_.Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "resource.kind is required"));
  EXPECT_THAT(client_->CheckAccess({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resource.kind is required")));
}

TEST_F(GrpcPolicyClientTest, PolicyRefusingOurIdentityIsInternal) {
  policy_.Fail(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "who are you"));
  EXPECT_THAT(client_->CheckPermission({}), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(GrpcPolicyClientTest, PolicyUnavailableIsUnavailable) {
  policy_.Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "overloaded"));
  EXPECT_THAT(client_->CheckPermission({}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(GrpcPolicyClientTest, PolicyDownIsUnavailable) {
  client::PeerClient nowhere("policy", absl::StrCat("localhost:", jit::testing::PickUnusedPort()),
                             ca_tls_, absl::Seconds(2));
  GrpcPolicyClient down(&nowhere);
  EXPECT_THAT(down.CheckPermission({}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(down.CheckAccess({}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(GrpcPolicyClientTest, PolicySlowerThanTheDeadlineIsUnavailable) {
  policy_.hold_ = true;  // CheckAccess waits until TearDown releases it
  client::PeerClient impatient("policy", absl::StrCat("localhost:", server_->port()), ca_tls_,
                               absl::Milliseconds(200));
  GrpcPolicyClient client(&impatient);
  EXPECT_THAT(client.CheckAccess({}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(GrpcPolicyClientTest, AServerThatIsNotPolicyIsInternal) {
  server_->Shutdown(absl::Seconds(1));
  ASSERT_NO_FATAL_FAILURE(Serve("auth"));  // the auth service's certificate
  EXPECT_THAT(client_->CheckPermission({}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("wrong identity")));
}

}  // namespace
}  // namespace jit::policy
