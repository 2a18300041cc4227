// PostgresRoleStore against a real PostgreSQL (JIT_TEST_PG_URL; see
// common/db/testing/test_database.h).
#include "services/policy/postgres_role_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/testing/outbox_table.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/policy/migrations.h"
#include "services/policy/role_parser.h"
#include "services/policy/service_name.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::Role;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixMicros(1'700'000'000'123'456);

// A fresh audit event for a store call.
jit::common::v1::AuditEvent Event(const std::string& type = "role.upsert") {
  absl::StatusOr<jit::common::v1::AuditEvent> e =
      audit::NewAuditEvent(kPolicyService, type, kNow, {.actor = "user:tester"}, "role:x",
                           jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "test");
  return e.value_or(jit::common::v1::AuditEvent());
}

std::vector<jit::common::v1::AuditEvent> Events(int n) {
  std::vector<jit::common::v1::AuditEvent> events;
  for (int i = 0; i < n; ++i) events.push_back(Event());
  return events;
}

constexpr char kArticleRole[] = R"yaml(
kind: role
version: v5
metadata:
  name: developer-read-only-jit
  description: read-only production access
  labels: {team: web}
spec:
  allow:
    logins: ["devops", "{{internal.logins}}"]
    kubernetes_labels: {"kubernetes.io/metadata.name": "web-app-namespace"}
    kubernetes_groups: ["system:authenticated"]
    db_labels: {env: [production, "^prod-[0-9]+$"]}
    db_names: ["web_app_db"]
    db_users: ["readonly_user"]
    node_labels: {"*": "*"}
    request:
      roles: [dba]
      thresholds:
        - name: two
          approve: 2
          deny: 1
          filter: 'contains(reviewer.roles, "dba")'
      max_duration: 4h
      reason: {mode: required, prompt: "Which ticket?"}
  deny:
    logins: [root]
  options:
    max_session_ttl: 1h
    require_mfa: true
    record_session: [ssh, db]
)yaml";

Role MakeRole(const std::string& name, const std::string& login = "ubuntu") {
  auto role = ParseRoleDocument(absl::StrCat("kind: role\nversion: v7\nmetadata: {name: ", name,
                                             "}\nspec: {allow: {logins: [", login, "]}}\n"));
  EXPECT_THAT(role, IsOk());
  return role.ok() ? *role : Role();
}

std::vector<std::string> Names(const std::vector<Role>& roles) {
  std::vector<std::string> names;
  for (const Role& r : roles) names.push_back(r.metadata().name());
  return names;
}

class PostgresRoleStoreTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(4)));
    ASSERT_OK(db::ApplyMigrations(*pool_, "policy", Migrations()));
    store_ = std::make_unique<PostgresRoleStore>(pool_.get());
  }

  void Sql(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::work txn(connection);
    txn.exec(sql);
    txn.commit();
  }

  // The first column of the first row of `sql` as text ("" for none or NULL).
  std::string Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    pqxx::result r = txn.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  // The outbox events of `type`, in order.
  std::vector<jit::common::v1::AuditEvent> Outbox(const std::string& type) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    std::vector<jit::common::v1::AuditEvent> events;
    for (const pqxx::row& row : txn.exec_params(
             "SELECT event FROM policy.audit_outbox WHERE type = $1 ORDER BY sequence", type)) {
      jit::common::v1::AuditEvent e;
      EXPECT_TRUE(e.ParseFromString(pqxx::binarystring(row[0]).str()));
      events.push_back(std::move(e));
    }
    return events;
  }

  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<PostgresRoleStore> store_;
};

jit::common::v1::AuditEvent DeleteEvent() { return Event("role.delete"); }

std::string Revision(const jit::common::v1::AuditEvent& e) {
  return e.details().fields().contains("revision")
             ? e.details().fields().at("revision").string_value()
             : "";
}

TEST_F(PostgresRoleStoreTest, AnUpsertLeavesExactlyItsEventWithTheNewRevision) {
  const jit::common::v1::AuditEvent first = Event();
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", first));
  ASSERT_OK(store_->Upsert(MakeRole("dev", "root"), 1, kNow, "user:a", Event()));
  const std::vector<jit::common::v1::AuditEvent> events = Outbox("role.upsert");
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].id(), first.id());
  EXPECT_EQ(events[0].service(), "policy");
  EXPECT_EQ(Revision(events[0]), "1");
  EXPECT_EQ(Revision(events[1]), "2");
}

TEST_F(PostgresRoleStoreTest, ADeleteLeavesExactlyItsEventWithTheDeletedRevision) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Upsert(MakeRole("dev", "root"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Delete("dev", std::nullopt, DeleteEvent()));
  const std::vector<jit::common::v1::AuditEvent> events = Outbox("role.delete");
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(Revision(events[0]), "2");
}

TEST_F(PostgresRoleStoreTest, CreateAllLeavesOneEventPerRole) {
  ASSERT_OK(store_->CreateAll({MakeRole("a"), MakeRole("b")}, kNow, "gitops:roles_dir", Events(2)));
  EXPECT_THAT(Outbox("role.upsert"), SizeIs(2));
  EXPECT_THAT(store_->CreateAll({MakeRole("c")}, kNow, "gitops:roles_dir", Events(2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The event goes in the change's transaction: when writing the event fails (here: its id is
// already stored), the change is rolled back too.
TEST_F(PostgresRoleStoreTest, AFailedEventInsertLeavesNeitherTheChangeNorTheEvent) {
  const jit::common::v1::AuditEvent used = Event();
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", used));
  EXPECT_THAT(store_->Upsert(MakeRole("ops"), std::nullopt, kNow, "user:a", used),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->Get("ops"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Upsert(MakeRole("dev", "root"), 1, kNow, "user:a", used),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(Role dev, store_->Get("dev"));
  EXPECT_EQ(dev.metadata().revision(), 1);
  EXPECT_THAT(store_->Delete("dev", std::nullopt, used),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->Get("dev"), IsOk());
  EXPECT_THAT(
      store_->CreateAll({MakeRole("x"), MakeRole("y")}, kNow, "gitops:roles_dir", {Event(), used}),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->Get("x"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Query("SELECT count(*) FROM policy.audit_outbox"), "1");
}

TEST_F(PostgresRoleStoreTest, ARefusedChangeLeavesNoEvent) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  EXPECT_THAT(store_->Upsert(MakeRole("dev", "root"), 0, kNow, "user:a", Event()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->Delete("dev", 7, DeleteEvent()), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->Delete("ghost", std::nullopt, DeleteEvent()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Query("SELECT count(*) FROM policy.audit_outbox"), "1");
}

TEST_F(PostgresRoleStoreTest, TheOutboxIsTheKitsTable) {
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  const std::string shape = audit::testing::DescribeOutboxTable(txn, kPolicyService);
  EXPECT_NE(shape, "");
  EXPECT_EQ(shape, audit::testing::KitOutboxTable(db().conninfo()));
}

TEST_F(PostgresRoleStoreTest, CreateStartsAtRevisionOneWithServerMetadata) {
  ASSERT_OK_AND_ASSIGN(Role stored,
                       store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:alice", Event()));
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "user:alice");
  EXPECT_EQ(stored.metadata().update_time().seconds(), 1'700'000'000);
  EXPECT_EQ(stored.metadata().update_time().nanos(), 123'456'000);
}

TEST_F(PostgresRoleStoreTest, GetReturnsExactlyWhatUpsertStored) {
  ASSERT_OK_AND_ASSIGN(Role role, ParseRoleDocument(kArticleRole));
  ASSERT_OK_AND_ASSIGN(Role stored,
                       store_->Upsert(role, std::nullopt, kNow, "gitops:roles_dir", Event()));
  ASSERT_OK_AND_ASSIGN(Role read, store_->Get("developer-read-only-jit"));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(stored, read))
      << "stored:\n"
      << stored.DebugString() << "read:\n"
      << read.DebugString();
  EXPECT_EQ(read.spec().allow().request().thresholds(0).approve(), 2);
}

TEST_F(PostgresRoleStoreTest, ClientSuppliedServerMetadataIsNotStored) {
  Role role = MakeRole("dev");
  role.mutable_metadata()->set_revision(41);
  role.mutable_metadata()->set_updated_by("user:mallory");
  ASSERT_OK(store_->Upsert(role, std::nullopt, kNow, "user:alice", Event()));
  ASSERT_OK_AND_ASSIGN(Role read, store_->Get("dev"));
  EXPECT_EQ(read.metadata().revision(), 1);
  EXPECT_EQ(read.metadata().updated_by(), "user:alice");
}

TEST_F(PostgresRoleStoreTest, UnconditionalUpsertReplacesAndBumpsRevision) {
  ASSERT_OK(store_->Upsert(MakeRole("dev", "ubuntu"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(
      Role stored, store_->Upsert(MakeRole("dev", "admin"), std::nullopt, kNow, "user:b", Event()));
  EXPECT_EQ(stored.metadata().revision(), 2);
  ASSERT_OK_AND_ASSIGN(Role read, store_->Get("dev"));
  EXPECT_THAT(read.spec().allow().logins(), ElementsAre("admin"));
  EXPECT_EQ(read.metadata().updated_by(), "user:b");
}

TEST_F(PostgresRoleStoreTest, ExpectedRevisionZeroRefusesAnExistingRole) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  EXPECT_THAT(store_->Upsert(MakeRole("dev", "root"), 0, kNow, "user:b", Event()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 1, not 0")));
  ASSERT_OK_AND_ASSIGN(Role read, store_->Get("dev"));
  EXPECT_THAT(read.spec().allow().logins(), ElementsAre("ubuntu"));
}

TEST_F(PostgresRoleStoreTest, ExpectedRevisionZeroCreates) {
  ASSERT_OK_AND_ASSIGN(Role stored, store_->Upsert(MakeRole("dev"), 0, kNow, "user:a", Event()));
  EXPECT_EQ(stored.metadata().revision(), 1);
}

TEST_F(PostgresRoleStoreTest, StaleExpectedRevisionIsAborted) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Upsert(MakeRole("dev", "x"), 1, kNow, "user:a", Event()));
  EXPECT_THAT(store_->Upsert(MakeRole("dev", "y"), 1, kNow, "user:b", Event()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 2, not 1")));
}

TEST_F(PostgresRoleStoreTest, ExpectedRevisionOfAMissingRoleIsAborted) {
  EXPECT_THAT(store_->Upsert(MakeRole("dev"), 3, kNow, "user:a", Event()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 0, not 3")));
  EXPECT_THAT(store_->Get("dev"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresRoleStoreTest, ConcurrentUpdatesAtTheSameRevisionLetExactlyOneWin) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  constexpr int kWriters = 6;
  std::atomic<int> ok{0}, aborted{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto s =
          store_->Upsert(MakeRole("dev", absl::StrCat("login", i)), 1, kNow, "user:w", Event());
      if (s.ok()) {
        ++ok;
      } else if (absl::IsAborted(s.status())) {
        ++aborted;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(aborted.load(), kWriters - 1);
  EXPECT_EQ(other.load(), 0);
  ASSERT_OK_AND_ASSIGN(Role read, store_->Get("dev"));
  EXPECT_EQ(read.metadata().revision(), 2);
}

TEST_F(PostgresRoleStoreTest, GetOfAMissingRoleIsNotFound) {
  EXPECT_THAT(store_->Get("ghost"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("ghost")));
}

TEST_F(PostgresRoleStoreTest, ListPagesInNameOrder) {
  for (const char* name : {"b", "a", "d", "c", "a.b", "a-b"}) {
    ASSERT_OK(store_->Upsert(MakeRole(name), std::nullopt, kNow, "user:a", Event()));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Role> first, store_->List("", 2));
  EXPECT_THAT(Names(first), ElementsAre("a", "a-b"));  // byte order, as the in-memory store
  ASSERT_OK_AND_ASSIGN(std::vector<Role> next, store_->List("a.b", 10));
  EXPECT_THAT(Names(next), ElementsAre("b", "c", "d"));
  EXPECT_EQ(next[0].metadata().revision(), 1);
}

TEST_F(PostgresRoleStoreTest, DeleteRemovesTheRole) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Delete("dev", std::nullopt, Event()));
  EXPECT_THAT(store_->Get("dev"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresRoleStoreTest, DeleteOfAMissingRoleIsNotFound) {
  EXPECT_THAT(store_->Delete("ghost", std::nullopt, Event()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Delete("ghost", 1, Event()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PostgresRoleStoreTest, DeleteAtAStaleRevisionIsAbortedAndKeepsTheRole) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  EXPECT_THAT(store_->Delete("dev", 1, Event()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at revision 2, not 1")));
  EXPECT_THAT(store_->Get("dev"), IsOk());
  EXPECT_THAT(store_->Delete("dev", 2, Event()), IsOk());
}

TEST_F(PostgresRoleStoreTest, GenerationMovesOnEveryChangeAndNotOnRefusedOnes) {
  ASSERT_OK_AND_ASSIGN(int64_t g0, store_->Generation());
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t g1, store_->Generation());
  EXPECT_GT(g1, g0);
  ASSERT_OK(store_->Upsert(MakeRole("ops"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t g2, store_->Generation());
  EXPECT_GT(g2, g1);
  EXPECT_THAT(store_->Upsert(MakeRole("dev"), 0, kNow, "user:a", Event()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->Delete("ghost", std::nullopt, Event()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Generation(), ::jit::testing::IsOkAndHolds(g2));
  ASSERT_OK(store_->Delete("dev", std::nullopt, Event()));
  ASSERT_OK_AND_ASSIGN(int64_t g3, store_->Generation());
  EXPECT_GT(g3, g2);
}

TEST_F(PostgresRoleStoreTest, CreateAllWritesEveryRoleInOneGenerationStep) {
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->Generation());
  ASSERT_OK(store_->CreateAll({MakeRole("a"), MakeRole("b"), MakeRole("c")}, kNow,
                              "gitops:roles_dir", Events(3)));
  EXPECT_THAT(store_->Generation(), ::jit::testing::IsOkAndHolds(before + 1));
  ASSERT_OK_AND_ASSIGN(Role c, store_->Get("c"));
  EXPECT_EQ(c.metadata().revision(), 1);
  EXPECT_EQ(c.metadata().updated_by(), "gitops:roles_dir");
  EXPECT_EQ(c.metadata().update_time().nanos(), 123'456'000);
}

TEST_F(PostgresRoleStoreTest, CreateAllCreatesNothingWhenOneExists) {
  ASSERT_OK(store_->Upsert(MakeRole("b"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->Generation());
  EXPECT_THAT(store_->CreateAll({MakeRole("a"), MakeRole("b"), MakeRole("c")}, kNow,
                                "gitops:roles_dir", Events(3)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("role \"b\" is at revision 1")));
  EXPECT_THAT(store_->Get("a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Get("c"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Generation(), ::jit::testing::IsOkAndHolds(before));
}

TEST_F(PostgresRoleStoreTest, ChangesMadeByHandMoveTheGeneration) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->Generation());
  Sql("UPDATE policy.roles SET updated_by = 'dba:psql' WHERE name = 'dev'");
  ASSERT_OK_AND_ASSIGN(int64_t after, store_->Generation());
  EXPECT_GT(after, before);
}

TEST_F(PostgresRoleStoreTest, ListAllReturnsEveryRoleWithItsGeneration) {
  ASSERT_OK(store_->Upsert(MakeRole("b"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK(store_->Upsert(MakeRole("a"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(RoleStore::Contents contents, store_->ListAll());
  EXPECT_THAT(Names(contents.roles), ElementsAre("a", "b"));
  EXPECT_THAT(store_->Generation(), ::jit::testing::IsOkAndHolds(contents.generation));
}

TEST_F(PostgresRoleStoreTest, CommittedChangeIsNotifiedWithTheGeneration) {
  pqxx::connection listener(db().conninfo());
  struct Receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } receiver(listener, kRoleChangeChannel);

  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t generation, store_->Generation());
  // Bounded wait for the notification (it is delivered at commit, before Upsert returned).
  for (int i = 0; i < 20 && receiver.payloads.empty(); ++i) listener.await_notification(1, 0);
  EXPECT_THAT(receiver.payloads, ElementsAre(absl::StrCat(generation)));
}

TEST_F(PostgresRoleStoreTest, RefusedChangeIsNotNotified) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  pqxx::connection listener(db().conninfo());
  struct Receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } receiver(listener, kRoleChangeChannel);
  EXPECT_THAT(store_->Upsert(MakeRole("dev"), 0, kNow, "user:a", Event()),
              StatusIs(absl::StatusCode::kAborted));
  // A later accepted change is the first thing the listener hears.
  ASSERT_OK(store_->Upsert(MakeRole("ops"), std::nullopt, kNow, "user:a", Event()));
  ASSERT_OK_AND_ASSIGN(int64_t generation, store_->Generation());
  for (int i = 0; i < 20 && receiver.payloads.empty(); ++i) listener.await_notification(1, 0);
  EXPECT_THAT(receiver.payloads, ElementsAre(absl::StrCat(generation)));
}

TEST_F(PostgresRoleStoreTest, UndecodableStoredRoleIsDataLoss) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  Sql(R"(UPDATE policy.roles SET role = '{"spec": {"allow": {"logins_typo": ["root"]}}}')");
  EXPECT_THAT(store_->Get("dev"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("dev")));
  EXPECT_THAT(store_->ListAll(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(PostgresRoleStoreTest, WorksAgainAfterItsConnectionsWereTerminated) {
  ASSERT_OK(store_->Upsert(MakeRole("dev"), std::nullopt, kNow, "user:a", Event()));
  Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
      "datname = current_database() AND pid <> pg_backend_pid()");
  EXPECT_THAT(store_->Get("dev"), IsOk());
}

}  // namespace
}  // namespace jit::policy
