// Two real jit-policy processes on one PostgreSQL database: a role change made through one
// replica's UpsertRole (a person's session token) is answered by the other (LISTEN/NOTIFY,
// with polling as the fallback); who may call which RPC; replicas starting together import
// the same --roles_dir; a conflicting --roles_dir ends start-up with one line. Waits are
// bounded loops on the observable outcome.
//
// The session tokens come from a real jit-auth (one per suite, on a database of its own):
// bootstrap users ada (role admin) and dave (role dev), the example roles of deploy/local,
// log in; the replicas verify the tokens against that jit-auth (--auth_addr).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/audit/audit_event.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "pqxx/pqxx"
#include "services/policy/migrations.h"
#include "services/policy/postgres_role_store.h"
#include "services/policy/role_parser.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::RunfilePath;
using ::jit::testing::StatusIs;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::AuthServer;
using ::jit::testkit::CallContext;
using ::jit::testkit::Eventually;
using ::jit::testkit::EventuallyStatus;
using ::jit::testkit::kPatience;
using ::jit::testkit::NewStub;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

struct Replica {
  std::unique_ptr<ServiceProcess> process;
  // As the "ca" service (its certificate): the decisions.
  std::unique_ptr<pb::PolicyService::Stub> stub;
  // Over TLS without a client certificate, as people's clients call: role RPCs with a token.
  std::unique_ptr<pb::PolicyService::Stub> user_stub;

  // A stub calling as service `name` (its certificate).
  std::unique_ptr<pb::PolicyService::Stub> AsService(const std::string& name) const {
    return NewStub<pb::PolicyService>(process->address(), ServiceCredentials(name));
  }
};

class PolicyReplicasTest : public db::testing::PostgresTest {
 protected:
  // One jit-auth for the suite: its database, its users, their tokens.
  static void SetUpTestSuite() {
    suite_ = new Suite();
    suite_->status = suite_->Start();
  }
  static void TearDownTestSuite() {
    if (suite_->auth != nullptr) {
      EXPECT_OK(suite_->auth->Stop());
    }
    delete suite_;
    suite_ = nullptr;
  }

  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK(suite_->status);
  }

  absl::StatusOr<Replica> Start(std::vector<std::string> extra = {}) {
    Replica r;
    ASSIGN_OR_RETURN(r.process, ServiceProcess::Start({.service = "policy",
                                                       .db_url = db().conninfo(),
                                                       .peers = {{"auth", auth().address()}},
                                                       .flags = std::move(extra)}));
    r.stub = r.AsService("ca");
    r.user_stub = NewStub<pb::PolicyService>(r.process->address(), AnonymousCredentials());
    return r;
  }

  // Whether `r` accepts session tokens yet: its revocation list is filled by a refresh right
  // after it starts serving, and token checks fail closed (UNAVAILABLE) until then.
  bool AcceptsTokens(const Replica& r) {
    return Eventually([&] {
      pb::ListRolesResponse list;
      return r.user_stub->ListRoles(CallContext(admin_token()).get(), {}, &list).error_code() !=
             grpc::StatusCode::UNAVAILABLE;
    });
  }

  static std::string RolesDir() {
    return "--roles_dir=" + RunfilePath("deploy/local/examples/roles");
  }

  static absl::StatusOr<common::v1::Role> Upsert(const Replica& r, const std::string& token,
                                                 const std::string& document,
                                                 std::optional<int64_t> expected = std::nullopt) {
    pb::UpsertRoleRequest request;
    request.set_role_document(document);
    if (expected.has_value()) request.set_expected_revision(*expected);
    common::v1::Role role;
    grpc::Status status = r.user_stub->UpsertRole(CallContext(token).get(), request, &role);
    if (!status.ok()) return FromGrpcStatus(status);
    return role;
  }

  static absl::StatusOr<common::v1::Role> Get(const Replica& r, const std::string& token,
                                              const std::string& name) {
    pb::GetRoleRequest request;
    request.set_name(name);
    common::v1::Role role;
    grpc::Status status = r.user_stub->GetRole(CallContext(token).get(), request, &role);
    if (!status.ok()) return FromGrpcStatus(status);
    return role;
  }

  // Whether `r` lets alice (holding `role`) log in as `login` on a prod node.
  static absl::StatusOr<bool> AliceMayLogIn(const Replica& r, const std::string& role,
                                            const std::string& login) {
    pb::CheckAccessRequest request;
    request.mutable_identity()->set_kind(common::v1::Identity::KIND_USER);
    request.mutable_identity()->set_name("alice");
    request.mutable_identity()->mutable_expire_time()->set_seconds(
        absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    request.mutable_identity()->add_roles(role);
    request.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
    (*request.mutable_resource()->mutable_labels())["env"] = "prod";
    request.mutable_resource()->set_login(login);
    pb::CheckAccessResponse response;
    grpc::Status status = r.stub->CheckAccess(CallContext().get(), request, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return response.allowed();
  }

  // Puts a role into the database directly (set-up for start-up tests, no replica running).
  absl::Status WriteRole(const std::string& document) {
    ASSIGN_OR_RETURN(auto pool, db::PgPool::Create(db().PoolOptions(1)));
    RETURN_IF_ERROR(db::ApplyMigrations(*pool, "policy", policy::Migrations()));  // idempotent
    policy::PostgresRoleStore store(pool.get());
    ASSIGN_OR_RETURN(common::v1::Role role, policy::ParseRoleDocument(document));
    ASSIGN_OR_RETURN(common::v1::AuditEvent event,
                     audit::NewAuditEvent("policy", "role.upsert", absl::Now(),
                                          {.actor = "user:test"}, "role:" + role.metadata().name(),
                                          common::v1::AuditEvent::OUTCOME_SUCCESS, "test set-up"));
    return store.Upsert(role, std::nullopt, absl::Now(), "user:test", event).status();
  }

  static std::string OpsRole(const std::string& login) {
    return absl::StrCat(
        "kind: role\nversion: v7\nmetadata: {name: ops}\n"
        "spec: {allow: {logins: [",
        login, "], node_labels: {env: prod}}}\n");
  }

  static void Stop(Replica& r) {
    r.stub.reset();  // closes the connections, so draining has nothing to wait for
    r.user_stub.reset();
    EXPECT_OK(r.process->Stop());
  }

  static AuthServer& auth() { return *suite_->auth; }
  // ada holds the example role "admin" (every verb on roles), dave "dev" (none).
  static const std::string& admin_token() { return suite_->admin_token; }
  static const std::string& dev_token() { return suite_->dev_token; }

 private:
  struct Suite {
    absl::Status Start() {
      ASSIGN_OR_RETURN(database, db::testing::TestDatabase::Create());
      ASSIGN_OR_RETURN(
          auth,
          AuthServer::StartServing(
              {.db_url = database->conninfo(),
               .users = {
                   {.name = "ada",
                    .roles = {"admin"},
                    .password = "ada's password, long",
                    // The example admin role requires MFA for its admin rules.
                    .totp_secret_base32 = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"},
                   {.name = "dave", .roles = {"dev"}, .password = "dave's password, long"}}}));
      ASSIGN_OR_RETURN(admin_token, auth->LoginToken("ada"));
      ASSIGN_OR_RETURN(dev_token, auth->LoginToken("dave"));
      return absl::OkStatus();
    }

    absl::Status status;
    std::unique_ptr<db::testing::TestDatabase> database;  // outlives `auth`
    std::unique_ptr<AuthServer> auth;
    std::string admin_token;
    std::string dev_token;
  };
  static Suite* suite_;
};

PolicyReplicasTest::Suite* PolicyReplicasTest::suite_ = nullptr;

TEST_F(PolicyReplicasTest, RoleUpsertedThroughOneReplicaIsAnsweredByTheOther) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start({RolesDir()}));
  ASSERT_OK_AND_ASSIGN(Replica b, Start({RolesDir()}));
  ASSERT_OK(a.process->WaitServing());
  ASSERT_OK(b.process->WaitServing());
  ASSERT_TRUE(AcceptsTokens(a) && AcceptsTokens(b));
  EXPECT_THAT(AliceMayLogIn(b, "ops", "root"), IsOkAndHolds(false));

  ASSERT_OK_AND_ASSIGN(common::v1::Role created, Upsert(a, admin_token(), OpsRole("root")));
  EXPECT_EQ(created.metadata().revision(), 1);
  EXPECT_EQ(created.metadata().updated_by(), "user:ada");
  EXPECT_TRUE(Eventually([&] { return AliceMayLogIn(b, "ops", "root").value_or(false); }))
      << b.process->Output();
  EXPECT_THAT(Get(b, admin_token(), "ops"), IsOk());

  // The next revision, with optimistic concurrency: root is no longer granted, ubuntu is.
  ASSERT_OK_AND_ASSIGN(common::v1::Role updated,
                       Upsert(a, admin_token(), OpsRole("ubuntu"), /*expected=*/1));
  EXPECT_EQ(updated.metadata().revision(), 2);
  EXPECT_TRUE(Eventually([&] {
    return AliceMayLogIn(b, "ops", "ubuntu").value_or(false) &&
           !AliceMayLogIn(b, "ops", "root").value_or(true);
  })) << b.process->Output();
  // A write based on the old revision, through the other replica, is refused.
  EXPECT_THAT(Upsert(b, admin_token(), OpsRole("root"), /*expected=*/1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 2, not 1")));

  Stop(a);
  Stop(b);
}

TEST_F(PolicyReplicasTest, RoleRpcsAreForPeopleWhoseRolesGrantThemDecisionsForServices) {
  ASSERT_OK_AND_ASSIGN(Replica r, Start({RolesDir()}));
  ASSERT_OK(r.process->WaitServing());
  ASSERT_TRUE(AcceptsTokens(r));
  pb::ListRolesResponse list;

  // A person whose roles grant the role verbs.
  ASSERT_TRUE(r.user_stub->ListRoles(CallContext(admin_token()).get(), {}, &list).ok());
  EXPECT_EQ(list.roles_size(), 4);
  // A person whose roles do not.
  grpc::Status status = r.user_stub->ListRoles(CallContext(dev_token()).get(), {}, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("may not list roles"));
  EXPECT_THAT(Upsert(r, dev_token(), OpsRole("root")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A service, even a trusted one, does not manage roles.
  EXPECT_EQ(r.AsService("requests")->ListRoles(CallContext().get(), {}, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Decisions are for services: requests asks CheckRequest; a person may not.
  pb::CheckRequestRequest request;
  request.mutable_user()->set_name("dave");
  request.mutable_user()->mutable_expire_time()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
  request.mutable_user()->add_roles("dev");
  request.add_requested_roles("developer-read-only-jit");
  request.set_reason("INC-1");
  pb::CheckRequestResponse verdict;
  ASSERT_TRUE(r.AsService("requests")->CheckRequest(CallContext().get(), request, &verdict).ok());
  EXPECT_TRUE(verdict.allowed()) << verdict.explanation().summary();
  EXPECT_EQ(
      r.user_stub->CheckRequest(CallContext(admin_token()).get(), request, &verdict).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // ... and only the service that needs it: ca does not ask CheckRequest.
  EXPECT_EQ(r.stub->CheckRequest(CallContext().get(), request, &verdict).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Stop(r);
}

TEST_F(PolicyReplicasTest, SessionEndedAtAuthIsRefusedByEveryReplica) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start({RolesDir()}));
  ASSERT_OK_AND_ASSIGN(Replica b, Start({RolesDir()}));
  ASSERT_OK(a.process->WaitServing());
  ASSERT_OK(b.process->WaitServing());
  ASSERT_TRUE(AcceptsTokens(a) && AcceptsTokens(b));
  // A session of its own, so that the suite's tokens live on.
  ASSERT_OK_AND_ASSIGN(const std::string token, auth().LoginToken("ada"));
  auto list_roles = [&](const Replica& r) {
    pb::ListRolesResponse list;
    return FromGrpcStatus(r.user_stub->ListRoles(CallContext(token).get(), {}, &list));
  };
  EXPECT_OK(list_roles(a));
  EXPECT_OK(list_roles(b));

  jit::auth::v1::LogoutResponse out;
  ASSERT_TRUE(auth().stub().Logout(CallContext(token).get(), {}, &out).ok());
  for (const Replica* r : {&a, &b}) {
    EXPECT_THAT(
        EventuallyStatus(absl::StatusCode::kUnauthenticated, [&] { return list_roles(*r); }),
        StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  }
  // ada's other session lives on.
  EXPECT_OK(Get(a, admin_token(), "dev").status());
  EXPECT_OK(Get(b, admin_token(), "dev").status());
  Stop(a);
  Stop(b);
}

TEST_F(PolicyReplicasTest, ReplicasStartingTogetherImportTheSameRolesDir) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start({RolesDir()}));
  ASSERT_OK_AND_ASSIGN(Replica b, Start({RolesDir()}));
  ASSERT_OK(a.process->WaitServing());
  ASSERT_OK(b.process->WaitServing());
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM policy.roles")[0].as<int>(), 4);
  EXPECT_EQ(txn.exec1("SELECT max(revision) FROM policy.roles")[0].as<int>(), 1);
  EXPECT_EQ(txn.exec1("SELECT min(updated_by) FROM policy.roles")[0].as<std::string>(),
            "gitops:roles_dir");
  Stop(a);
  Stop(b);
}

TEST_F(PolicyReplicasTest, ConflictingRolesDirEndsStartUpWithOneLine) {
  ASSERT_OK(WriteRole(
      "kind: role\nversion: v7\nmetadata: {name: dba}\nspec: {allow: {logins: [postgres]}}\n"));
  ASSERT_OK_AND_ASSIGN(Replica a, Start({RolesDir()}));
  ASSERT_THAT(a.process->WaitExit(kPatience), IsOkAndHolds(1));
  std::vector<std::string> reasons;
  for (absl::string_view line : absl::StrSplit(a.process->Output(), '\n')) {
    if (absl::StartsWith(line, "jit-policy:")) reasons.emplace_back(line);
  }
  ASSERT_THAT(reasons, SizeIs(1)) << a.process->Output();
  EXPECT_THAT(reasons[0], HasSubstr("roles_dir: roles differ from the stored ones"));
  EXPECT_THAT(reasons[0], HasSubstr("dba (stored revision 1, updated by user:test)"));
}

TEST_F(PolicyReplicasTest, DecisionHookTokenFileOpenToOthersOrEmptyExitsTwo) {
  const std::string open_token = jit::testing::TestTempPath("open.token");
  const std::string empty_token = jit::testing::TestTempPath("empty.token");
  ASSERT_OK(jit::testkit::WriteTestFile(open_token, "s3cr3t-hook-token\n", 0644));
  ASSERT_OK(jit::testkit::WriteTestFile(empty_token, "", 0600));
  for (const std::string& file : {open_token, empty_token}) {
    ASSERT_OK_AND_ASSIGN(Replica a, Start({"--decision_hook_url=http://127.0.0.1:1/v1/data/jit",
                                           "--decision_hook_token_file=" + file}));
    ASSERT_THAT(a.process->WaitExit(kPatience), IsOkAndHolds(2)) << file;
    EXPECT_THAT(a.process->Output(),
                AllOf(HasSubstr("decision_hook_token_file"), Not(HasSubstr("s3cr3t-hook-token"))));
  }
}

TEST_F(PolicyReplicasTest, BadPollIntervalExitsTwoNamingTheFlag) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start({"--role_poll_interval=0s"}));
  ASSERT_THAT(a.process->WaitExit(kPatience), IsOkAndHolds(2));
  EXPECT_THAT(a.process->Output(), HasSubstr("role_poll_interval"));
}

}  // namespace
}  // namespace jit
