// Two real jit-policy processes on one PostgreSQL database: a role change made through one
// replica's UpsertRole (a person's session token) is answered by the other (LISTEN/NOTIFY,
// with polling as the fallback); who may call which RPC; replicas starting together import
// the same --roles_dir; a conflicting --roles_dir ends start-up with one line. Waits are
// bounded loops on the observable outcome.
//
// Session tokens are verified by the replicas against keys published over gRPC by
// AuthTokenPeer (a stand-in for jit-auth's GetJwks / ListRevokedSessions until jit-auth
// serves them; see auth_token_peer.h).
#include <signal.h>

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/server/tls.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "pqxx/pqxx"
#include "services/policy/migrations.h"
#include "services/policy/postgres_role_store.h"
#include "services/policy/role_parser.h"
#include "tests/integration/auth_token_peer.h"

namespace jit {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testing::Subprocess;
using ::jit::testing::TestTempPath;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Generous: the machine is shared. What is asserted is the outcome, never the time taken.
constexpr absl::Duration kPatience = absl::Seconds(60);

bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

struct Replica {
  std::unique_ptr<Subprocess> process;
  int port = 0;
  // As the "ca" service (its certificate): the decisions.
  std::unique_ptr<pb::PolicyService::Stub> stub;
  // Over TLS without a client certificate, as people's clients call: role RPCs with a token.
  std::unique_ptr<pb::PolicyService::Stub> user_stub;

  // A stub calling as service `name` (its certificate).
  std::unique_ptr<pb::PolicyService::Stub> AsService(const std::string& name) const {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles(name));
    if (!tls.ok()) return nullptr;
    return pb::PolicyService::NewStub(grpc::CreateChannel(
        absl::StrCat("localhost:", port), server::MakeChannelCredentials(*tls)));
  }
};

std::unique_ptr<grpc::ClientContext> WithToken(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

class PolicyReplicasTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(auth_, jit::testing::AuthTokenPeer::Start());
    // The example roles of deploy/local: "admin" may do everything with roles, "dev" nothing.
    ASSERT_OK_AND_ASSIGN(admin_token_, auth_->TokenFor("ada", {"admin"}));
    ASSERT_OK_AND_ASSIGN(dev_token_, auth_->TokenFor("dave", {"dev"}));
  }

  absl::StatusOr<Replica> Start(const std::string& name, std::vector<std::string> extra = {}) {
    Replica r;
    r.port = PickUnusedPort();
    const server::TlsFiles tls = jit::testing::TestTlsFiles("policy");
    std::vector<std::string> argv = {RunfilePath("services/policy/jit-policy"),
                                     absl::StrCat("--listen_addr=127.0.0.1:", r.port),
                                     absl::StrCat("--metrics_addr=127.0.0.1:", PickUnusedPort()),
                                     "--tls_cert_file=" + tls.cert_file,
                                     "--tls_key_file=" + tls.key_file,
                                     "--tls_ca_file=" + tls.ca_file,
                                     "--db_url=" + db().conninfo(),
                                     "--db_pool_size=2",
                                     "--drain_timeout=5s",
                                     "--auth_addr=" + auth_->address()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto process = Subprocess::Start(argv, TestTempPath("policy-" + name + ".txt"));
    if (!process.ok()) return process.status();
    r.process = *std::move(process);
    r.stub = r.AsService("ca");
    auto ca = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
    if (!ca.ok()) return ca.status();
    grpc::SslCredentialsOptions anonymous;
    anonymous.pem_root_certs = ca->ca_pem;
    r.user_stub = pb::PolicyService::NewStub(
        grpc::CreateChannel(absl::StrCat("localhost:", r.port), grpc::SslCredentials(anonymous)));
    return r;
  }

  // Whether `r` accepts session tokens yet: its revocation list is filled by a refresh right
  // after it starts serving, and token checks fail closed (UNAVAILABLE) until then.
  bool AcceptsTokens(const Replica& r) {
    return Eventually([&] {
      pb::ListRolesResponse list;
      return r.user_stub->ListRoles(WithToken(admin_token_).get(), {}, &list).error_code() !=
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
    grpc::Status status = r.user_stub->UpsertRole(WithToken(token).get(), request, &role);
    if (!status.ok()) return FromGrpcStatus(status);
    return role;
  }

  static absl::StatusOr<common::v1::Role> Get(const Replica& r, const std::string& token,
                                              const std::string& name) {
    pb::GetRoleRequest request;
    request.set_name(name);
    common::v1::Role role;
    grpc::Status status = r.user_stub->GetRole(WithToken(token).get(), request, &role);
    if (!status.ok()) return FromGrpcStatus(status);
    return role;
  }

  // SERVING on gRPC health within kPatience (false if the process ended).
  bool Serving(const Replica& r) {
    auto client = server::LoadTlsMaterial(jit::testing::TestTlsFiles("ca"));
    if (!client.ok()) return false;
    auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        absl::StrCat("localhost:", r.port), server::MakeChannelCredentials(*client)));
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(kPatience));
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&ctx, {}, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  // Whether `r` lets alice (holding `role`) log in as `login` on a prod node.
  static absl::StatusOr<bool> AliceMayLogIn(const Replica& r, const std::string& role,
                                            const std::string& login) {
    pb::CheckAccessRequest request;
    request.mutable_identity()->set_kind(common::v1::Identity::KIND_USER);
    request.mutable_identity()->set_name("alice");
    request.mutable_identity()->add_roles(role);
    request.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
    (*request.mutable_resource()->mutable_labels())["env"] = "prod";
    request.mutable_resource()->set_login(login);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pb::CheckAccessResponse response;
    grpc::Status status = r.stub->CheckAccess(&ctx, request, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return response.allowed();
  }

  // Puts a role into the database directly (set-up for start-up tests, no replica running).
  absl::Status WriteRole(const std::string& document) {
    ASSIGN_OR_RETURN(auto pool, db::PgPool::Create(db().PoolOptions(1)));
    RETURN_IF_ERROR(db::ApplyMigrations(*pool, "policy", policy::Migrations()));  // idempotent
    policy::PostgresRoleStore store(pool.get());
    ASSIGN_OR_RETURN(common::v1::Role role, policy::ParseRoleDocument(document));
    return store.Upsert(role, std::nullopt, absl::Now(), "user:test").status();
  }

  static std::string OpsRole(const std::string& login) {
    return absl::StrCat("kind: role\nversion: v7\nmetadata: {name: ops}\n"
                        "spec: {allow: {logins: [", login, "], node_labels: {env: prod}}}\n");
  }

  static void Stop(Replica& r) {
    r.stub.reset();  // closes the connections, so draining has nothing to wait for
    r.user_stub.reset();
    r.process->Signal(SIGTERM);
    EXPECT_THAT(r.process->Wait(absl::Seconds(30)), IsOkAndHolds(0)) << r.process->Output();
  }

  std::unique_ptr<jit::testing::AuthTokenPeer> auth_;
  std::string admin_token_;
  std::string dev_token_;
};

TEST_F(PolicyReplicasTest, RoleUpsertedThroughOneReplicaIsAnsweredByTheOther) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start("a", {RolesDir()}));
  ASSERT_OK_AND_ASSIGN(Replica b, Start("b", {RolesDir()}));
  ASSERT_TRUE(Serving(a)) << a.process->Output();
  ASSERT_TRUE(Serving(b)) << b.process->Output();
  ASSERT_TRUE(AcceptsTokens(a) && AcceptsTokens(b));
  EXPECT_THAT(AliceMayLogIn(b, "ops", "root"), IsOkAndHolds(false));

  ASSERT_OK_AND_ASSIGN(common::v1::Role created, Upsert(a, admin_token_, OpsRole("root")));
  EXPECT_EQ(created.metadata().revision(), 1);
  EXPECT_EQ(created.metadata().updated_by(), "user:ada");
  EXPECT_TRUE(Eventually([&] { return AliceMayLogIn(b, "ops", "root").value_or(false); }))
      << b.process->Output();
  EXPECT_THAT(Get(b, admin_token_, "ops"), IsOk());

  // The next revision, with optimistic concurrency: root is no longer granted, ubuntu is.
  ASSERT_OK_AND_ASSIGN(common::v1::Role updated,
                       Upsert(a, admin_token_, OpsRole("ubuntu"), /*expected=*/1));
  EXPECT_EQ(updated.metadata().revision(), 2);
  EXPECT_TRUE(Eventually([&] {
    return AliceMayLogIn(b, "ops", "ubuntu").value_or(false) &&
           !AliceMayLogIn(b, "ops", "root").value_or(true);
  })) << b.process->Output();
  // A write based on the old revision, through the other replica, is refused.
  EXPECT_THAT(Upsert(b, admin_token_, OpsRole("root"), /*expected=*/1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 2, not 1")));

  Stop(a);
  Stop(b);
}

TEST_F(PolicyReplicasTest, RoleRpcsAreForPeopleWhoseRolesGrantThemDecisionsForServices) {
  ASSERT_OK_AND_ASSIGN(Replica r, Start("authz", {RolesDir()}));
  ASSERT_TRUE(Serving(r)) << r.process->Output();
  ASSERT_TRUE(AcceptsTokens(r));
  pb::ListRolesResponse list;

  // A person whose roles grant the role verbs.
  ASSERT_TRUE(r.user_stub->ListRoles(WithToken(admin_token_).get(), {}, &list).ok());
  EXPECT_EQ(list.roles_size(), 4);
  // A person whose roles do not.
  grpc::Status status = r.user_stub->ListRoles(WithToken(dev_token_).get(), {}, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("may not list roles"));
  EXPECT_THAT(Upsert(r, dev_token_, OpsRole("root")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A service, even a trusted one, does not manage roles.
  EXPECT_EQ(r.AsService("requests")->ListRoles(WithToken("").get(), {}, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Decisions are for services: requests asks CheckRequest; a person may not.
  pb::CheckRequestRequest request;
  request.mutable_user()->set_name("dave");
  request.mutable_user()->add_roles("dev");
  request.add_requested_roles("developer-read-only-jit");
  request.set_reason("INC-1");
  pb::CheckRequestResponse verdict;
  ASSERT_TRUE(r.AsService("requests")->CheckRequest(WithToken("").get(), request, &verdict).ok());
  EXPECT_TRUE(verdict.allowed()) << verdict.explanation().summary();
  EXPECT_EQ(r.user_stub->CheckRequest(WithToken(admin_token_).get(), request, &verdict)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // ... and only the service that needs it: ca does not ask CheckRequest.
  EXPECT_EQ(r.stub->CheckRequest(WithToken("").get(), request, &verdict).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Stop(r);
}

TEST_F(PolicyReplicasTest, ReplicasStartingTogetherImportTheSameRolesDir) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start("a", {RolesDir()}));
  ASSERT_OK_AND_ASSIGN(Replica b, Start("b", {RolesDir()}));
  ASSERT_TRUE(Serving(a)) << a.process->Output();
  ASSERT_TRUE(Serving(b)) << b.process->Output();
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
  ASSERT_OK_AND_ASSIGN(Replica a, Start("conflict", {RolesDir()}));
  ASSERT_THAT(a.process->Wait(kPatience), IsOkAndHolds(1));
  std::vector<std::string> reasons;
  for (absl::string_view line : absl::StrSplit(a.process->Output(), '\n')) {
    if (absl::StartsWith(line, "jit-policy:")) reasons.emplace_back(line);
  }
  ASSERT_THAT(reasons, SizeIs(1)) << a.process->Output();
  EXPECT_THAT(reasons[0], HasSubstr("roles_dir: roles differ from the stored ones"));
  EXPECT_THAT(reasons[0], HasSubstr("dba (stored revision 1, updated by user:test)"));
}

TEST_F(PolicyReplicasTest, BadPollIntervalExitsTwoNamingTheFlag) {
  ASSERT_OK_AND_ASSIGN(Replica a, Start("bad-flag", {"--role_poll_interval=0s"}));
  ASSERT_THAT(a.process->Wait(kPatience), IsOkAndHolds(2));
  EXPECT_THAT(a.process->Output(), HasSubstr("role_poll_interval"));
}

}  // namespace
}  // namespace jit
