// PolicyPermissionChecker against a PolicyService double on a real TLS server: how each
// answer of policy maps (never to an allow unless policy said allowed).
#include "services/auth/policy_permission_checker.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/server/grpc_server.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// Answers CheckPermission as told and remembers the last request.
class PolicyDouble final : public jit::policy::v1::PolicyService::Service {
 public:
  grpc::Status CheckPermission(grpc::ServerContext*,
                               const jit::policy::v1::CheckPermissionRequest* request,
                               jit::policy::v1::CheckPermissionResponse* response) override {
    absl::MutexLock lock(&mu_);
    last_ = *request;
    if (!status_.ok()) return status_;
    response->set_allowed(allowed_);
    response->mutable_explanation()->set_summary(allowed_ ? "allowed by role admin"
                                                          : "denied: no role allows it");
    return grpc::Status::OK;
  }
  void Answer(bool allowed, grpc::Status status = grpc::Status::OK) {
    absl::MutexLock lock(&mu_);
    allowed_ = allowed;
    status_ = std::move(status);
  }
  jit::policy::v1::CheckPermissionRequest last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  absl::Mutex mu_;
  bool allowed_ = false;
  grpc::Status status_;
  jit::policy::v1::CheckPermissionRequest last_;
};

jit::common::v1::Identity Admin() {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name("admin");
  id.add_roles("admin");
  return id;
}

class PolicyPermissionCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server::TlsMaterial policy_tls,
                         server::LoadTlsMaterial(jit::testing::TestTlsFiles("policy")));
    ASSERT_OK_AND_ASSIGN(
        server_,
        server::GrpcServer::Start(
            {.service_name = "policy", .listen_address = "127.0.0.1:0", .tls = policy_tls},
            {server::RegisteredService::Of<jit::policy::v1::PolicyService>(&policy_)}, nullptr));
    ASSERT_OK_AND_ASSIGN(auth_tls_, server::LoadTlsMaterial(jit::testing::TestTlsFiles("auth")));
    peer_ = std::make_unique<client::PeerClient>(
        "policy", absl::StrCat("localhost:", server_->port()), auth_tls_, absl::Seconds(5));
    checker_ = std::make_unique<PolicyPermissionChecker>(peer_.get());
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  PolicyDouble policy_;
  std::unique_ptr<server::GrpcServer> server_;
  server::TlsMaterial auth_tls_;
  std::unique_ptr<client::PeerClient> peer_;
  std::unique_ptr<PolicyPermissionChecker> checker_;
};

TEST_F(PolicyPermissionCheckerTest, AllowedIsOkAndTheRequestCarriesCallerResourceAndVerb) {
  policy_.Answer(true);
  EXPECT_OK(checker_->Check(Admin(), "user", "create"));
  const auto last = policy_.last();
  EXPECT_EQ(last.identity().name(), "admin");
  EXPECT_EQ(last.identity().roles(0), "admin");
  EXPECT_EQ(last.resource(), "user");
  EXPECT_EQ(last.verb(), "create");
}

TEST_F(PolicyPermissionCheckerTest, NotAllowedIsPermissionDeniedWithTheExplanation) {
  policy_.Answer(false);
  EXPECT_THAT(checker_->Check(Admin(), "user", "delete"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("delete user: denied: no role allows it")));
}

TEST_F(PolicyPermissionCheckerTest, PolicyErrorsAreInternalNeverAllowed) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::UNIMPLEMENTED, grpc::StatusCode::INVALID_ARGUMENT,
        grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::PERMISSION_DENIED}) {
    policy_.Answer(true, grpc::Status(code, "no"));
    EXPECT_THAT(checker_->Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kInternal))
        << code;
  }
}

TEST_F(PolicyPermissionCheckerTest, PolicyUnavailableIsUnavailable) {
  policy_.Answer(true, grpc::Status(grpc::StatusCode::UNAVAILABLE, "overloaded"));
  EXPECT_THAT(checker_->Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kUnavailable));
  client::PeerClient nowhere("policy", absl::StrCat("localhost:", jit::testing::PickUnusedPort()),
                             auth_tls_, absl::Seconds(2));
  PolicyPermissionChecker down(&nowhere);
  EXPECT_THAT(down.Check(Admin(), "user", "read"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::auth
