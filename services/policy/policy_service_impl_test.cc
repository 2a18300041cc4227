// The gRPC adapter over a real TLS server: replies, status codes and messages as the client
// sees them. The caller identity comes from a test function standing in for the server's
// authentication (it reads "x-test-user" / "x-test-roles" metadata).
#include "services/policy/policy_service_impl.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/policy/role_parser.h"
#include "services/policy/testing/in_memory_role_store.h"
#include "services/policy/testing/policy_test_server.h"

namespace jit::policy {
namespace {

// Identities carry an expire_time (one without is refused); this one is far ahead of every
// test clock.
constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::jit::common::v1::Role;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRoles[] = R"yaml(
kind: role
version: v7
metadata: {name: role-admin}
spec:
  allow:
    rules: [{resources: [role], verbs: ["*"]}]
---
kind: role
version: v7
metadata: {name: role-reader}
spec:
  allow:
    rules: [{resources: [role], verbs: [read, list]}]
---
kind: role
version: v7
metadata: {name: dev}
spec:
  allow:
    logins: [ubuntu]
    node_labels: {env: staging}
)yaml";

absl::StatusOr<Identity> TestCaller(const grpc::ServerContext& context, std::string_view) {
  const auto& metadata = context.client_metadata();
  auto user = metadata.find("x-test-user");
  if (user == metadata.end()) return absl::UnauthenticatedError("no test caller");
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(std::string(user->second.data(), user->second.size()));
  id.mutable_expire_time()->set_seconds(kFarFuture);
  if (auto roles = metadata.find("x-test-roles"); roles != metadata.end()) {
    for (absl::string_view r :
         absl::StrSplit(absl::string_view(roles->second.data(), roles->second.size()), ',')) {
      id.add_roles(std::string(r));
    }
  }
  return id;
}

// A store whose every call fails with a detailed internal error.
class BrokenStore final : public RoleStore {
 public:
  absl::StatusOr<Role> Get(std::string_view) const override { return Fail(); }
  absl::StatusOr<std::vector<Role>> List(std::string_view, int) const override { return Fail(); }
  absl::StatusOr<Contents> ListAll() const override { return Fail(); }
  absl::StatusOr<int64_t> Generation() const override { return Fail(); }
  absl::StatusOr<Role> Upsert(const Role&, std::optional<int64_t>, absl::Time, std::string_view,
                              const jit::common::v1::AuditEvent&) override {
    return Fail();
  }
  absl::Status CreateAll(const std::vector<Role>&, absl::Time, std::string_view,
                         const std::vector<jit::common::v1::AuditEvent>&) override {
    return Fail();
  }
  absl::Status Delete(std::string_view, std::optional<int64_t>,
                      const jit::common::v1::AuditEvent&) override {
    return Fail();
  }

 private:
  static absl::Status Fail() {
    return absl::InternalError("relation policy.roles: permission denied for user jit_secret");
  }
};

class PolicyServiceImplTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::vector<Role> roles, ParseRoleDocuments(kRoles));
    ASSERT_OK(catalog_.ImportRoles(roles, {.actor = "gitops:test"}));
    ASSERT_OK_AND_ASSIGN(server_, testing::PolicyTestServer::Start(&service_));
    stub_ = server_->NewStub();
    ASSERT_NE(stub_, nullptr);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& user, const std::string& roles) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!user.empty()) context->AddMetadata("x-test-user", user);
    if (!roles.empty()) context->AddMetadata("x-test-roles", roles);
    return context;
  }

  pb::CheckAccessRequest Access(const std::string& login) {
    pb::CheckAccessRequest request;
    request.mutable_identity()->set_name("alice");
    request.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
    request.mutable_identity()->add_roles("dev");
    request.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
    (*request.mutable_resource()->mutable_labels())["env"] = "staging";
    request.mutable_resource()->set_login(login);
    return request;
  }

  FakeClock clock_;
  testing::InMemoryRoleStore store_;
  RoleSnapshotHolder snapshots_;
  RoleCatalog catalog_{&store_, &snapshots_, &clock_};
  PolicyEngine engine_{&snapshots_, &clock_};
  RoleAdministration roles_{&catalog_, &engine_};
  PolicyServiceImpl service_{&engine_, &roles_, TestCaller};
  std::unique_ptr<testing::PolicyTestServer> server_;
  std::unique_ptr<pb::PolicyService::Stub> stub_;
};

TEST_F(PolicyServiceImplTest, UpsertedRoleIsReadBackWithItsRevisionAndAuthor) {
  pb::UpsertRoleRequest upsert;
  upsert.set_role_document(
      "kind: role\nversion: v7\nmetadata: {name: ops}\n"
      "spec: {allow: {logins: [root]}}\n");
  Role stored;
  ASSERT_TRUE(stub_->UpsertRole(As("ada", "role-admin").get(), upsert, &stored).ok());
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "user:ada");

  pb::GetRoleRequest get;
  get.set_name("ops");
  Role read;
  ASSERT_TRUE(stub_->GetRole(As("rita", "role-reader").get(), get, &read).ok());
  EXPECT_EQ(read.spec().allow().logins(0), "root");
  EXPECT_EQ(read.metadata().revision(), 1);
}

TEST_F(PolicyServiceImplTest, ListAndDeleteGoThroughTheCatalog) {
  pb::ListRolesResponse list;
  ASSERT_TRUE(stub_->ListRoles(As("rita", "role-reader").get(), {}, &list).ok());
  EXPECT_EQ(list.roles_size(), 3);
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  pb::DeleteRoleResponse deleted;
  ASSERT_TRUE(stub_->DeleteRole(As("ada", "role-admin").get(), del, &deleted).ok());
  EXPECT_EQ(snapshots_.Get()->Find("dev"), nullptr);
}

TEST_F(PolicyServiceImplTest, RoleRpcWithoutAnAuthenticatedCallerIsUnauthenticated) {
  pb::ListRolesResponse list;
  grpc::Status status = stub_->ListRoles(As("", "").get(), {}, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(PolicyServiceImplTest, RoleWriteByAReaderIsPermissionDenied) {
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  pb::DeleteRoleResponse deleted;
  grpc::Status status = stub_->DeleteRole(As("rita", "role-reader").get(), del, &deleted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("may not delete roles"));
}

TEST_F(PolicyServiceImplTest, StaleExpectedRevisionIsAborted) {
  pb::UpsertRoleRequest upsert;
  upsert.set_role_document(
      "kind: role\nversion: v7\nmetadata: {name: dev}\n"
      "spec: {allow: {logins: [root]}}\n");
  upsert.set_expected_revision(5);
  Role stored;
  grpc::Status status = stub_->UpsertRole(As("ada", "role-admin").get(), upsert, &stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("is at revision 1, not 5"));
}

TEST_F(PolicyServiceImplTest, InvalidRoleDocumentIsInvalidArgumentWithItsLine) {
  pb::UpsertRoleRequest upsert;
  upsert.set_role_document(
      "kind: role\nversion: v7\nmetadata: {name: dev}\n"
      "spec: {allow: {loginz: [root]}}\n");
  Role stored;
  grpc::Status status = stub_->UpsertRole(As("ada", "role-admin").get(), upsert, &stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("loginz"));
}

TEST_F(PolicyServiceImplTest, CheckAccessAnswersWithTheExplanation) {
  pb::CheckAccessResponse response;
  grpc::ClientContext allowed_ctx;
  ASSERT_TRUE(stub_->CheckAccess(&allowed_ctx, Access("ubuntu"), &response).ok());
  EXPECT_TRUE(response.allowed());
  EXPECT_THAT(response.explanation().summary(), HasSubstr("\"dev\""));
  grpc::ClientContext denied_ctx;
  ASSERT_TRUE(stub_->CheckAccess(&denied_ctx, Access("root"), &response).ok());
  EXPECT_FALSE(response.allowed());
}

TEST_F(PolicyServiceImplTest, MalformedDecisionRequestIsInvalidArgument) {
  pb::CheckAccessRequest request = Access("ubuntu");
  request.mutable_resource()->clear_kind();
  pb::CheckAccessResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->CheckAccess(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PolicyServiceImplTest, EveryDecisionRpcIsServed) {
  grpc::ClientContext c1, c2, c3, c4;
  pb::CheckRequestRequest request;
  request.mutable_user()->set_name("alice");
  request.mutable_user()->mutable_expire_time()->set_seconds(kFarFuture);
  request.mutable_user()->add_roles("dev");
  request.add_requested_roles("role-admin");
  pb::CheckRequestResponse request_reply;
  ASSERT_TRUE(stub_->CheckRequest(&c1, request, &request_reply).ok());
  EXPECT_FALSE(request_reply.allowed());

  pb::CheckReviewRequest review;
  review.mutable_reviewer()->set_name("bob");
  review.mutable_reviewer()->mutable_expire_time()->set_seconds(kFarFuture);
  review.mutable_reviewer()->add_roles("dev");
  review.mutable_request()->set_user("alice");
  review.mutable_request()->add_roles("role-admin");
  pb::CheckReviewResponse review_reply;
  ASSERT_TRUE(stub_->CheckReview(&c2, review, &review_reply).ok());
  EXPECT_FALSE(review_reply.allowed());

  pb::ComputeCertParamsRequest params;
  params.mutable_identity()->set_name("alice");
  params.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
  params.mutable_identity()->add_roles("dev");
  pb::ComputeCertParamsResponse params_reply;
  ASSERT_TRUE(stub_->ComputeCertParams(&c3, params, &params_reply).ok());
  EXPECT_EQ(params_reply.params().logins(0), "ubuntu");

  pb::CheckPermissionRequest permission;
  permission.mutable_identity()->set_name("ada");
  permission.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
  permission.mutable_identity()->add_roles("role-admin");
  permission.set_resource("role");
  permission.set_verb("delete");
  pb::CheckPermissionResponse permission_reply;
  ASSERT_TRUE(stub_->CheckPermission(&c4, permission, &permission_reply).ok());
  EXPECT_TRUE(permission_reply.allowed());
}

TEST(PolicyServiceImplCallerTest, EachRoleRpcAsksForTheCallerOfItsOwnMethod) {
  FakeClock clock;
  testing::InMemoryRoleStore store;
  RoleSnapshotHolder snapshots;
  RoleCatalog catalog(&store, &snapshots, &clock);
  PolicyEngine engine(&snapshots, &clock);
  RoleAdministration roles(&catalog, &engine);
  absl::Mutex mu;
  std::vector<std::string> methods;
  PolicyServiceImpl service(
      &engine, &roles,
      [&](const grpc::ServerContext&, std::string_view method) -> absl::StatusOr<Identity> {
        absl::MutexLock lock(&mu);
        methods.emplace_back(method);
        return absl::PermissionDeniedError("not in the test");
      });
  ASSERT_OK_AND_ASSIGN(auto server, testing::PolicyTestServer::Start(&service));
  auto stub = server->NewStub();
  Role role;
  pb::ListRolesResponse list;
  pb::DeleteRoleResponse deleted;
  grpc::ClientContext c1, c2, c3, c4;
  EXPECT_EQ(stub->UpsertRole(&c1, {}, &role).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub->GetRole(&c2, {}, &role).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub->ListRoles(&c3, {}, &list).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub->DeleteRole(&c4, {}, &deleted).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  absl::MutexLock lock(&mu);
  EXPECT_THAT(methods, ::testing::ElementsAre("/jit.policy.v1.PolicyService/UpsertRole",
                                              "/jit.policy.v1.PolicyService/GetRole",
                                              "/jit.policy.v1.PolicyService/ListRoles",
                                              "/jit.policy.v1.PolicyService/DeleteRole"));
}

TEST(PolicyServiceImplInternalErrorTest, InternalDetailStaysInTheServer) {
  FakeClock clock;
  BrokenStore store;
  RoleSnapshotHolder snapshots;
  RoleCatalog catalog(&store, &snapshots, &clock);
  // Only the store is broken: the caller holds a role that allows reading, so the call
  // reaches the store.
  ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create(*ParseRoleDocuments(kRoles), 1));
  snapshots.Set(snapshot);
  PolicyEngine engine(&snapshots, &clock);
  RoleAdministration roles(&catalog, &engine);
  PolicyServiceImpl service(&engine, &roles, TestCaller);
  ASSERT_OK_AND_ASSIGN(auto server, testing::PolicyTestServer::Start(&service));
  auto stub = server->NewStub();
  grpc::ClientContext context;
  context.AddMetadata("x-test-user", "rita");
  context.AddMetadata("x-test-roles", "role-reader");
  pb::GetRoleRequest get;
  get.set_name("dev");
  Role role;
  grpc::Status status = stub->GetRole(&context, get, &role);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("jit_secret")));
}

}  // namespace
}  // namespace jit::policy
