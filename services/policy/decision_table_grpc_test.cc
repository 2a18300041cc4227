// The decision tables' cases tagged `grpc`, sent through the real gRPC adapter on a real
// TLS server behind the real authentication gate (common/auth's ServiceAuth with the
// project's method table; each decision called with the certificate of the service that
// calls it in production), in process so that each case's clock and fake hook can be set,
// and checked with the same CheckOutcome as the logic suite. Each case is its own test:
// Tables/DecisionTableGrpcTest.Case/<table>__<case>.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/grpc_authorizer.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/server/tls.h"
#include "common/testing/fake_clock.h"
#include "common/testing/test_pki_files.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "services/policy/policy_engine.h"
#include "services/policy/policy_service_impl.h"
#include "services/policy/role_administration.h"
#include "services/policy/role_catalog.h"
#include "services/policy/role_snapshot.h"
#include "services/policy/testing/decision_table.h"
#include "services/policy/testing/in_memory_role_store.h"
#include "services/policy/testing/policy_test_server.h"

namespace jit::policy::testing {
namespace {

namespace pb = ::jit::policy::v1;
using google::protobuf::Message;

constexpr char kTablesDir[] = "services/policy/testdata/decisions";
constexpr size_t kMinimumGrpcCases = 30;

// A hook whose answer each case sets.
class CaseHook final : public DecisionHook {
 public:
  void Set(absl::StatusOr<HookVerdict> answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  absl::StatusOr<HookVerdict> Evaluate(const HookInput&) const override {
    absl::MutexLock lock(&mu_);
    return answer_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::StatusOr<HookVerdict> answer_ ABSL_GUARDED_BY(mu_) = absl::InternalError("unset");
};

// No session is ever revoked (the suite calls with service certificates only).
class NoRevocations final : public auth::RevocationFeed {
 public:
  absl::StatusOr<auth::RevocationUpdate> FetchRevocations(int64_t) override {
    return auth::RevocationUpdate{.cursor = 1, .complete = true};
  }
};

absl::StatusOr<std::unique_ptr<auth::ServiceAuth>> MakeServiceAuth() {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles("policy"));
  if (!tls.ok()) return tls.status();
  return auth::ServiceAuth::Create({.token_issuer = "jit-access",
                                    .token_audience = "jit-access",
                                    .ca_bundle_pem = tls->ca_pem,
                                    .table = &auth::JitMethodTable()},
                                   {.jwks = std::make_unique<auth::StaticJwksSource>(),
                                    .revocations = std::make_unique<NoRevocations>()},
                                   &RealClock::Get());
}

// Two servers with the real adapter: one whose engine has no hook, one with the case hook.
struct Suite {
  absl::Status status;
  std::unique_ptr<auth::ServiceAuth> service_auth;
  std::vector<DecisionCase> cases;
  std::map<std::string, std::shared_ptr<const RoleSnapshot>> snapshots;

  FakeClock clock;
  RoleSnapshotHolder holder;
  CaseHook hook;
  testing::InMemoryRoleStore store;
  RoleCatalog catalog{&store, &holder, &clock};
  PolicyEngine plain_engine{&holder, &clock};
  PolicyEngine hooked_engine{&holder, &clock, &hook};
  RoleAdministration plain_roles{&catalog, &plain_engine};
  RoleAdministration hooked_roles{&catalog, &hooked_engine};
  server::CallerIdentityFn caller = [this](const grpc::ServerContext& context,
                                           std::string_view method) {
    return auth::AuthorizeServerCall(service_auth->authorizer(), context, method);
  };
  PolicyServiceImpl plain_service{&plain_engine, &plain_roles, caller};
  PolicyServiceImpl hooked_service{&hooked_engine, &hooked_roles, caller};
  std::unique_ptr<PolicyTestServer> plain_server;
  std::unique_ptr<PolicyTestServer> hooked_server;
};

Suite* suite = nullptr;

absl::Status LoadSuite(Suite* s) {
  absl::StatusOr<std::vector<DecisionTable>> tables = LoadDecisionTables(kTablesDir);
  if (!tables.ok()) return tables.status();
  for (const DecisionTable& table : *tables) {
    absl::StatusOr<std::shared_ptr<const RoleSnapshot>> snapshot =
        RoleSnapshot::Create(table.roles, 1);
    if (!snapshot.ok()) return snapshot.status();
    s->snapshots[table.name] = *snapshot;
    for (const DecisionCase& c : table.cases) {
      for (const std::string& tag : c.tags) {
        if (tag == "grpc") s->cases.push_back(c);
      }
    }
  }
  absl::StatusOr<std::unique_ptr<auth::ServiceAuth>> service_auth = MakeServiceAuth();
  if (!service_auth.ok()) return service_auth.status();
  s->service_auth = *std::move(service_auth);
  absl::StatusOr<std::unique_ptr<PolicyTestServer>> plain =
      PolicyTestServer::Start(&s->plain_service, {}, 64, s->service_auth->MetadataProcessor());
  if (!plain.ok()) return plain.status();
  s->plain_server = *std::move(plain);
  absl::StatusOr<std::unique_ptr<PolicyTestServer>> hooked =
      PolicyTestServer::Start(&s->hooked_service, {}, 64, s->service_auth->MetadataProcessor());
  if (!hooked.ok()) return hooked.status();
  s->hooked_server = *std::move(hooked);
  return absl::OkStatus();
}

Suite& GetSuite() {
  if (suite == nullptr) {
    suite = new Suite();  // stopped in the environment's TearDown
    suite->status = LoadSuite(suite);
  }
  return *suite;
}

class SuiteEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (suite != nullptr) {
      suite->plain_server.reset();
      suite->hooked_server.reset();
      suite->service_auth.reset();
    }
  }
};

// The certificate each decision is called with: the service that calls it in production.
std::string CallerFor(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kCheckRequest:
    case DecisionKind::kCheckReview:
      return "requests";
    case DecisionKind::kComputeCertParams:
    case DecisionKind::kCheckAccess:
      return "ca";
    case DecisionKind::kCheckPermission:
      return "auth";
  }
  return "client";
}

template <typename Response, typename Call>
DecisionOutcome Send(Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto response = std::make_shared<Response>();
  grpc::Status status = call(&context, response.get());
  if (!status.ok()) return FromGrpcStatus(status);
  return std::shared_ptr<Message>(std::move(response));
}

DecisionOutcome RunCaseThroughGrpc(const DecisionCase& c, const PolicyTestServer& server) {
  auto stub = server.NewStub(CallerFor(c.kind));
  if (stub == nullptr) return absl::InternalError("no stub");
  const Message& request = *c.request;
  switch (c.kind) {
    case DecisionKind::kCheckAccess:
      return Send<pb::CheckAccessResponse>([&](auto* ctx, auto* out) {
        return stub->CheckAccess(ctx, static_cast<const pb::CheckAccessRequest&>(request), out);
      });
    case DecisionKind::kCheckRequest:
      return Send<pb::CheckRequestResponse>([&](auto* ctx, auto* out) {
        return stub->CheckRequest(ctx, static_cast<const pb::CheckRequestRequest&>(request), out);
      });
    case DecisionKind::kCheckReview:
      return Send<pb::CheckReviewResponse>([&](auto* ctx, auto* out) {
        return stub->CheckReview(ctx, static_cast<const pb::CheckReviewRequest&>(request), out);
      });
    case DecisionKind::kComputeCertParams:
      return Send<pb::ComputeCertParamsResponse>([&](auto* ctx, auto* out) {
        return stub->ComputeCertParams(
            ctx, static_cast<const pb::ComputeCertParamsRequest&>(request), out);
      });
    case DecisionKind::kCheckPermission:
      return Send<pb::CheckPermissionResponse>([&](auto* ctx, auto* out) {
        return stub->CheckPermission(ctx, static_cast<const pb::CheckPermissionRequest&>(request),
                                     out);
      });
  }
  return absl::InternalError("unknown decision kind");
}

TEST(DecisionTablesGrpcTest, SuiteStarts) {
  ASSERT_TRUE(GetSuite().status.ok()) << GetSuite().status;
}

TEST(DecisionTablesGrpcTest, EnoughCasesCoverEveryDecision) {
  std::map<std::string, int> by_kind;
  for (const DecisionCase& c : GetSuite().cases) ++by_kind[DecisionKindName(c.kind)];
  EXPECT_GE(GetSuite().cases.size(), kMinimumGrpcCases);
  for (const char* kind : {"check_access", "check_request", "check_review", "compute_cert_params",
                           "check_permission"}) {
    EXPECT_GE(by_kind[kind], 3) << kind;
  }
}

TEST(DecisionTablesGrpcTest, TheGateRefusesAServiceTheMethodTableDoesNotAdmit) {
  ASSERT_TRUE(GetSuite().status.ok()) << GetSuite().status;
  auto stub = GetSuite().plain_server->NewStub("ca");  // CheckRequest is for requests
  grpc::ClientContext context;
  pb::CheckRequestResponse response;
  EXPECT_EQ(stub->CheckRequest(&context, {}, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

class DecisionTableGrpcTest : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DecisionTableGrpcTest, Case) {
  Suite& s = GetSuite();
  ASSERT_TRUE(s.status.ok()) << s.status;
  const DecisionCase& c = GetParam();
  s.holder.Set(s.snapshots.at(c.table));
  s.clock.SetTime(c.now);
  const PolicyTestServer* server = s.plain_server.get();
  if (c.hook.has_value()) {
    s.hook.Set(*c.hook);
    server = s.hooked_server.get();
  }
  const DecisionOutcome outcome = RunCaseThroughGrpc(c, *server);
  const std::vector<std::string> failures = CheckOutcome(c, outcome);
  EXPECT_TRUE(failures.empty()) << c.table << ".yaml:" << c.line << " case " << c.name << " ("
                                << DecisionKindName(c.kind) << ", through gRPC):\n"
                                << absl::StrJoin(failures, "\n");
}

INSTANTIATE_TEST_SUITE_P(Tables, DecisionTableGrpcTest, ::testing::ValuesIn(GetSuite().cases),
                         [](const ::testing::TestParamInfo<DecisionCase>& info) {
                           return info.param.test_name();
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecisionTableGrpcTest);

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new SuiteEnvironment);

}  // namespace
}  // namespace jit::policy::testing
