// The audit pipeline end to end with real processes and PostgreSQL (issue 12, "Done when"):
//
//  - the sink (jit-audit) is killed while policy keeps changing roles; the events wait in
//    policy's outbox and, once the sink is back, every one is stored exactly once, in the
//    order policy wrote them;
//  - two jit-audit replicas on one database ingest at once (services' batches and policy's
//    relay): the chain never forks, and VerifyChain and tools/audit_verify.py agree on it;
//  - IngestEvents refuses a person's token (PERMISSION_DENIED) and malformed batches
//    (INVALID_ARGUMENT), storing nothing of them.
//
// The outage lasts JIT_AUDIT_OUTAGE_SECONDS (default 60, the issue's figure) and ends only
// once policy's relay has seen the sink down (its delivery failures counter) and events have
// piled up in the outbox: the test waits on those observable facts, not on timing. Waits are
// bounded loops on outcomes (testkit/eventually.h).
//
// One jit-auth per suite issues the session tokens: ada holds the example role admin (every
// verb, audit events included), dave the role dev (none).
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/audit/audit_event.h"
#include "common/crypto/base64.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/audit/v1/audit.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/metrics_scrape.h"
#include "tests/integration/testkit/service_process.h"

namespace jit {
namespace {

namespace apb = ::jit::audit::v1;
namespace ppb = ::jit::policy::v1;
using ::jit::common::v1::AuditEvent;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::RunfilePath;
using ::jit::testing::StatusIs;
using ::jit::testing::TestTempPath;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::AuthServer;
using ::jit::testkit::CallContext;
using ::jit::testkit::Eventually;
using ::jit::testkit::NewStub;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceProcess;
using ::testing::AnyOf;
using ::testing::HasSubstr;

// How long the sink stays down in the outage test.
absl::Duration OutageLength() {
  int seconds = 60;
  if (const char* v = std::getenv("JIT_AUDIT_OUTAGE_SECONDS"); v != nullptr) {
    if (!absl::SimpleAtoi(v, &seconds) || seconds < 1) seconds = 60;
  }
  return absl::Seconds(seconds);
}

std::string OpsRole(int n) {
  return absl::StrCat(
      "kind: role\nversion: v7\nmetadata: {name: ops}\n"
      "spec: {allow: {logins: [login",
      n, "], node_labels: {env: prod}}}\n");
}

// A valid event of `service`.
AuditEvent Event(const std::string& service, const std::string& note) {
  absl::StatusOr<AuditEvent> e = audit::NewAuditEvent(
      service, service + ".test.ingest", absl::Now(), {.actor = "service:" + service},
      "test:" + note, AuditEvent::OUTCOME_SUCCESS, "integration test", {{"note", note}});
  EXPECT_THAT(e, IsOk());
  return e.value_or(AuditEvent());
}

class AuditPipelineTest : public db::testing::PostgresTest {
 protected:
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
    // Policy and audit share the test's database (each in its own schema).
    ASSERT_OK_AND_ASSIGN(checkpoint_key_file_, testkit::WriteKeyEncryptionKeyFile(TestTempPath(
                                                   absl::StrCat("checkpoint-", ++files_, ".key"))));
    audit_port_ = jit::testing::PickUnusedPort();
    policy_port_ = jit::testing::PickUnusedPort();
  }

  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartAudit(int port) {
    return ServiceProcess::Start(
        {.service = "audit",
         .db_url = db().conninfo(),
         .peers = {{"auth", auth().address()}, {"policy", PolicyAddress()}},
         .flags = {"--checkpoint_key_file=" + checkpoint_key_file_, "--checkpoint_every_events=25"},
         .port = port,
         .output_path = TestTempPath(absl::StrCat("audit-", port, "-", ++files_, ".log"))});
  }

  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartPolicy() {
    return ServiceProcess::Start(
        {.service = "policy",
         .db_url = db().conninfo(),
         .peers = {{"auth", auth().address()}, {"audit", AuditAddress()}},
         .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")},
         .port = policy_port_});
  }

  std::string AuditAddress() const { return absl::StrCat("localhost:", audit_port_); }
  std::string PolicyAddress() const { return absl::StrCat("localhost:", policy_port_); }

  // UpsertRole through policy as ada.
  absl::Status ChangeRole(int n) {
    auto stub = NewStub<ppb::PolicyService>(PolicyAddress(), AnonymousCredentials());
    ppb::UpsertRoleRequest request;
    request.set_role_document(OpsRole(n));
    common::v1::Role role;
    return FromGrpcStatus(stub->UpsertRole(CallContext(admin_token()).get(), request, &role));
  }

  // Whether policy accepts ada's token yet (its revocation list fills right after start).
  bool PolicyAcceptsTokens() {
    auto stub = NewStub<ppb::PolicyService>(PolicyAddress(), AnonymousCredentials());
    return Eventually([&] {
      ppb::ListRolesResponse list;
      return stub->ListRoles(CallContext(admin_token()).get(), {}, &list).error_code() !=
             grpc::StatusCode::UNAVAILABLE;
    });
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection c(db().conninfo());
    pqxx::nontransaction t(c);
    return t.exec1(sql)[0].as<int64_t>();
  }
  std::vector<std::string> Ids(const std::string& sql) {
    pqxx::connection c(db().conninfo());
    pqxx::nontransaction t(c);
    std::vector<std::string> out;
    for (const pqxx::row& row : t.exec(sql)) out.push_back(row[0].as<std::string>());
    return out;
  }
  int64_t Undelivered() {
    return Count("SELECT count(*) FROM policy.audit_outbox WHERE delivered_at IS NULL");
  }

  absl::StatusOr<apb::VerifyChainResponse> VerifyChain(ServiceProcess& audit) {
    auto stub = NewStub<apb::AuditService>(audit.address(), AnonymousCredentials());
    apb::VerifyChainResponse r;
    grpc::Status s = stub->VerifyChain(CallContext(admin_token()).get(), {}, &r);
    if (!s.ok()) return FromGrpcStatus(s);
    return r;
  }

  // tools/audit_verify.py over psql, trusting the sink's published checkpoint key: its
  // summary line.
  nlohmann::json PythonVerdict(ServiceProcess& audit) {
    auto stub = NewStub<apb::AuditService>(audit.address(), AnonymousCredentials());
    apb::GetCheckpointKeysResponse keys;
    EXPECT_TRUE(stub->GetCheckpointKeys(CallContext().get(), {}, &keys).ok());
    std::string command =
        absl::StrCat("/usr/bin/python3 ", RunfilePath("services/audit/tools/audit_verify.py"),
                     " --psql '", db().conninfo(), "'");
    for (const auto& k : keys.keys()) {
      absl::StrAppend(&command, " --public-key ", crypto::Base64Encode(k.public_key()));
    }
    const auto [code, output] = jit::testing::RunShell(command + " 2>&1");
    std::vector<std::string> lines =
        absl::StrSplit(absl::StripSuffix(output, "\n"), '\n', absl::SkipEmpty());
    EXPECT_FALSE(lines.empty()) << output;
    if (lines.empty()) return nlohmann::json();
    nlohmann::json v = nlohmann::json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
    v["exit_code"] = code;
    return v;
  }

  // Both verifiers find the chain intact over the same events and head.
  void ExpectBothVerifiersAgreeIntact(ServiceProcess& audit, int64_t stored) {
    ASSERT_OK_AND_ASSIGN(apb::VerifyChainResponse r, VerifyChain(audit));
    EXPECT_TRUE(r.ok()) << r.problem();
    EXPECT_EQ(r.checked(), stored);
    EXPECT_EQ(r.head_sequence(), stored);
    EXPECT_GE(r.checkpoints_checked(), 1);
    const nlohmann::json py = PythonVerdict(audit);
    ASSERT_TRUE(py.is_object());
    EXPECT_EQ(py["exit_code"], 0) << py.dump();
    EXPECT_EQ(py["ok"], true) << py.dump();
    EXPECT_EQ(py["checked"], r.checked()) << py.dump();
    EXPECT_EQ(py["head_sequence"], r.head_sequence()) << py.dump();
    EXPECT_EQ(py["head_hash"], r.head_hash()) << py.dump();
  }

  static AuthServer& auth() { return *suite_->auth; }
  static const std::string& admin_token() { return suite_->admin_token; }
  static const std::string& dev_token() { return suite_->dev_token; }

  std::string checkpoint_key_file_;
  int audit_port_ = 0;
  int policy_port_ = 0;
  int files_ = 0;

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

AuditPipelineTest::Suite* AuditPipelineTest::suite_ = nullptr;

TEST_F(AuditPipelineTest, SinkDownWhileRolesChangeLosesNothingAndKeepsPolicysOrder) {
  ASSERT_OK_AND_ASSIGN(auto audit, StartAudit(audit_port_));
  ASSERT_OK_AND_ASSIGN(auto policy, StartPolicy());
  ASSERT_OK(audit->WaitServing());
  ASSERT_OK(policy->WaitServing());
  ASSERT_TRUE(PolicyAcceptsTokens()) << policy->Output();

  // Before the outage: changes flow through (the roles_dir import's events too).
  int n = 0;
  for (; n < 5; ++n) ASSERT_OK(ChangeRole(n));
  ASSERT_TRUE(Eventually([&] { return Undelivered() == 0; })) << policy->Output();
  const int64_t before = Count("SELECT count(*) FROM audit.events WHERE service = 'policy'");
  EXPECT_GE(before, 5);

  // The sink dies. Policy keeps changing roles; its relay fails and the events wait.
  audit->process().Signal(SIGKILL);
  ASSERT_THAT(audit->WaitExit(absl::Seconds(30)), IsOk());
  const absl::Time down_since = absl::Now();
  const std::string failures =
      R"(jit_policy_audit_outbox_delivery_failures_total{code="UNAVAILABLE"})";
  double failed = 0;
  while (absl::Now() - down_since < OutageLength() || failed < 2) {
    ASSERT_OK(ChangeRole(n++));
    ASSERT_OK_AND_ASSIGN(std::string metrics, testkit::ScrapeMetrics(policy->metrics_port()));
    failed = testkit::SampleValue(metrics, failures).value_or(0);
    ASSERT_LT(absl::Now() - down_since, OutageLength() + testkit::kPatience)
        << "policy's relay never reported the sink down:\n"
        << metrics;
  }
  const int64_t waiting = Undelivered();
  EXPECT_GT(waiting, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events WHERE service = 'policy'"), before);

  // The sink returns on the same address; the outbox drains (after the relay's back-off).
  ASSERT_OK_AND_ASSIGN(audit, StartAudit(audit_port_));
  ASSERT_OK(audit->WaitServing());
  ASSERT_TRUE(Eventually([&] { return Undelivered() == 0; }, absl::Seconds(120)))
      << Undelivered() << " still waiting\n"
      << policy->Output();

  // Every event of policy's outbox stored once, in the order policy wrote them.
  const std::vector<std::string> written =
      Ids("SELECT id::text FROM policy.audit_outbox ORDER BY sequence");
  const std::vector<std::string> stored =
      Ids("SELECT id::text FROM audit.events WHERE service = 'policy' ORDER BY sequence");
  EXPECT_EQ(static_cast<int64_t>(written.size()), before + waiting);
  EXPECT_EQ(stored, written);
  EXPECT_EQ(Count("SELECT count(DISTINCT id) FROM audit.events"),
            Count("SELECT count(*) FROM audit.events"));
  ExpectBothVerifiersAgreeIntact(*audit, Count("SELECT count(*) FROM audit.events"));

  EXPECT_OK(policy->Stop());
  EXPECT_OK(audit->Stop());
}

TEST_F(AuditPipelineTest, TwoReplicasIngestingAtOnceNeverForkTheChain) {
  ASSERT_OK_AND_ASSIGN(auto a, StartAudit(audit_port_));
  ASSERT_OK_AND_ASSIGN(auto b, StartAudit(0));
  ASSERT_OK_AND_ASSIGN(auto policy, StartPolicy());  // its relay ships to replica a
  ASSERT_OK(a->WaitServing());
  ASSERT_OK(b->WaitServing());
  ASSERT_OK(policy->WaitServing());
  ASSERT_TRUE(PolicyAcceptsTokens()) << policy->Output();

  // Four services' senders, two on each replica, while policy changes roles.
  constexpr int kBatches = 15;
  constexpr int kPerBatch = 20;
  const std::vector<std::string> services = {"auth", "ca", "requests", "auth"};
  std::vector<std::thread> senders;
  std::vector<absl::Status> results(services.size());
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string address = (i % 2 == 0 ? a : b)->address();
    senders.emplace_back([&, i, address] {
      auto stub = NewStub<apb::AuditService>(address, ServiceCredentials(services[i]));
      for (int k = 0; k < kBatches && results[i].ok(); ++k) {
        apb::IngestEventsRequest request;
        for (int e = 0; e < kPerBatch; ++e) {
          *request.add_events() = Event(services[i], absl::StrCat(i, "-", k, "-", e));
        }
        apb::IngestEventsResponse response;
        results[i] = FromGrpcStatus(stub->IngestEvents(CallContext().get(), request, &response));
        if (results[i].ok() && response.accepted() != kPerBatch) {
          results[i] = absl::InternalError(absl::StrCat("accepted ", response.accepted()));
        }
      }
    });
  }
  for (int n = 0; n < 10; ++n) EXPECT_OK(ChangeRole(n));
  for (std::thread& t : senders) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  ASSERT_TRUE(Eventually([&] { return Undelivered() == 0; })) << policy->Output();

  // One chain: sequences 1..N without gaps, each linked to the one before.
  const int64_t stored = Count("SELECT count(*) FROM audit.events");
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events WHERE service <> 'policy'"),
            static_cast<int64_t>(services.size()) * kBatches * kPerBatch);
  EXPECT_EQ(Count("SELECT max(sequence) FROM audit.events"), stored);
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events e JOIN audit.events p "
                  "ON p.sequence = e.sequence - 1 AND p.hash = e.prev_hash"),
            stored - 1);
  EXPECT_EQ(Count("SELECT sequence FROM audit.chain_head"), stored);
  // Both replicas and the independent verifier see the same intact chain.
  ExpectBothVerifiersAgreeIntact(*a, stored);
  ASSERT_OK_AND_ASSIGN(apb::VerifyChainResponse rb, VerifyChain(*b));
  EXPECT_TRUE(rb.ok());
  EXPECT_EQ(rb.checked(), stored);

  EXPECT_OK(policy->Stop());
  EXPECT_OK(a->Stop());
  EXPECT_OK(b->Stop());
}

TEST_F(AuditPipelineTest, OnlyServicesIngestAndMalformedBatchesStoreNothing) {
  ASSERT_OK_AND_ASSIGN(auto audit, StartAudit(audit_port_));
  ASSERT_OK(audit->WaitServing());
  auto ingest = [&](const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                    const std::string& token, const apb::IngestEventsRequest& request) {
    auto stub = NewStub<apb::AuditService>(audit->address(), credentials);
    apb::IngestEventsResponse response;
    return FromGrpcStatus(stub->IngestEvents(CallContext(token).get(), request, &response));
  };
  auto batch = [](int n) {
    apb::IngestEventsRequest request;
    for (int i = 0; i < n; ++i) *request.add_events() = Event("policy", absl::StrCat(i));
    return request;
  };

  // A person's token, however privileged, is not a service identity.
  EXPECT_THAT(ingest(AnonymousCredentials(), dev_token(), batch(2)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ingest(AnonymousCredentials(), admin_token(), batch(2)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A service sends only its own events.
  EXPECT_THAT(ingest(ServiceCredentials("auth"), "", batch(2)),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // Malformed: each batch holds valid events around the bad one.
  apb::IngestEventsRequest no_id = batch(3);
  no_id.mutable_events(1)->clear_id();
  apb::IngestEventsRequest no_type = batch(3);
  no_type.mutable_events(2)->clear_type();
  apb::IngestEventsRequest huge_details = batch(3);
  (*huge_details.mutable_events(1)->mutable_details()->mutable_fields())["blob"].set_string_value(
      std::string(65 * 1024, 'x'));
  apb::IngestEventsRequest over_cap = batch(1001);
  for (const auto& [name, request] : std::vector<std::pair<std::string, apb::IngestEventsRequest>>{
           {"id", no_id}, {"type", no_type}, {"details", huge_details}, {"batch", over_cap}}) {
    EXPECT_THAT(ingest(ServiceCredentials("policy"), "", request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(name)))
        << name;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events"), 0);

  // The same sender's valid batch is stored.
  EXPECT_OK(ingest(ServiceCredentials("policy"), "", batch(3)));
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events"), 3);
  EXPECT_OK(audit->Stop());
}

// The deployment docs/AUDIT.md describes: the owner migrates (--migrate_only), the sink
// serves as a role that is only a member of jit_audit_writer; it ingests, and that role can
// change no stored event.
TEST_F(AuditPipelineTest, SinkServesAsTheWriterRoleWhichCannotChangeAnEvent) {
  // As the test's superuser: the owner.
  ASSERT_OK_AND_ASSIGN(
      auto migrate_only,
      ServiceProcess::Start(
          {.service = "audit",
           .db_url = db().conninfo(),
           .flags = {"--checkpoint_key_file=" + checkpoint_key_file_, "--migrate_only"}}));
  ASSERT_THAT(migrate_only->WaitExit(), IsOkAndHolds(0)) << migrate_only->Output();

  const std::string role = db().name() + "_sink";
  {
    pqxx::connection admin(db().conninfo());
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE ROLE " + txn.quote_name(role) + " LOGIN IN ROLE jit_audit_writer");
  }
  ASSERT_OK_AND_ASSIGN(auto sink, ServiceProcess::StartServing(
                                      {.service = "audit",
                                       .db_url = db().conninfo() + " user=" + role,
                                       .flags = {"--checkpoint_key_file=" + checkpoint_key_file_,
                                                 "--checkpoint_every_events=2"}}));
  auto stub = NewStub<apb::AuditService>(sink->address(), ServiceCredentials("policy"));
  apb::IngestEventsRequest request;
  for (int i = 0; i < 3; ++i) *request.add_events() = Event("policy", absl::StrCat(i));
  apb::IngestEventsResponse response;
  EXPECT_OK(FromGrpcStatus(stub->IngestEvents(CallContext().get(), request, &response)));
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM audit.checkpoints"), 1);
  EXPECT_OK(sink->Stop());

  const std::string as_sink =
      absl::StrCat("psql '", db().conninfo(), " user=", role, "' -v ON_ERROR_STOP=1 -qAtX -c ");
  for (const char* sql : {"UPDATE audit.events SET message = 'x'", "DELETE FROM audit.events",
                          "TRUNCATE audit.events", "UPDATE audit.checkpoints SET key_id = 'x'",
                          "DELETE FROM audit.checkpoints", "DROP TABLE audit.events"}) {
    const auto [code, output] = jit::testing::RunShell(as_sink + "\"" + sql + "\" 2>&1");
    EXPECT_NE(code, 0) << sql;
    EXPECT_THAT(output, AnyOf(HasSubstr("permission denied"), HasSubstr("must be owner"))) << sql;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM audit.events"), 3);
  pqxx::connection admin(db().conninfo());
  pqxx::nontransaction txn(admin);
  txn.exec("DROP OWNED BY " + txn.quote_name(role));
  txn.exec("DROP ROLE " + txn.quote_name(role));
}

}  // namespace
}  // namespace jit
