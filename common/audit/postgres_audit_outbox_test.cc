// The outbox table and its inserts against a real PostgreSQL (JIT_TEST_PG_URL).
#include "common/audit/postgres_audit_outbox.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/outbox_test_migrations.h"
#include "common/audit/testing/outbox_table.h"
#include "common/db/migrations.h"
#include "common/db/pg_transaction.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"

namespace jit::audit {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kSchema[] = "svc";

class PostgresAuditOutboxTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(2)));
    ASSERT_OK(db::ApplyMigrations(*pool_, kSchema, outbox_test::Migrations()));
  }

  AuditEvent Event(const std::string& type,
                   absl::Time time = absl::FromUnixMicros(1'800'000'000'000'001)) {
    absl::StatusOr<AuditEvent> e =
        NewAuditEvent("svc", type, time, {.actor = "user:alice"}, "thing:1",
                      AuditEvent::OUTCOME_SUCCESS, "something happened", {{"k", "v"}});
    EXPECT_OK(e);
    return e.value_or(AuditEvent());
  }

  std::string Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    pqxx::result r = txn.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  std::unique_ptr<db::PgPool> pool_;
};

TEST_F(PostgresAuditOutboxTest, InsertStoresTheEventItsTypeAndTime) {
  const AuditEvent event = Event("thing.created");
  ASSERT_OK(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
    InsertOutboxEvent(txn, kSchema, event);
    return absl::OkStatus();
  }));
  EXPECT_EQ(Query("SELECT id::text FROM svc.audit_outbox"), event.id());
  EXPECT_EQ(Query("SELECT type FROM svc.audit_outbox"), "thing.created");
  EXPECT_EQ(
      Query("SELECT (extract(epoch FROM create_time) * 1000000)::bigint FROM svc.audit_outbox"),
      "1800000000000001");
  EXPECT_EQ(Query("SELECT delivered_at FROM svc.audit_outbox"), "");
  AuditEvent stored;
  {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    ASSERT_TRUE(stored.ParseFromString(
        pqxx::binarystring(txn.exec("SELECT event FROM svc.audit_outbox")[0][0]).str()));
  }
  EXPECT_EQ(stored.SerializeAsString(), event.SerializeAsString());
}

TEST_F(PostgresAuditOutboxTest, AFailedTransactionLeavesNoEvent) {
  EXPECT_THAT(db::RunInTransaction(*pool_,
                                   [&](pqxx::transaction_base& txn) {
                                     InsertOutboxEvent(txn, kSchema, Event("thing.created"));
                                     return absl::AbortedError("the change failed");
                                   }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Query("SELECT count(*) FROM svc.audit_outbox"), "0");
}

TEST_F(PostgresAuditOutboxTest, SequenceFollowsInsertionOrder) {
  PostgresAuditOutbox outbox(pool_.get(), kSchema);
  // Later ids first: the sequence, not the id, is the order of delivery.
  const AuditEvent late = Event("b", absl::FromUnixSeconds(2'000'000'000));
  const AuditEvent early = Event("a", absl::FromUnixSeconds(1'000'000'000));
  ASSERT_OK(outbox.Append(late));
  ASSERT_OK(outbox.Append(early));
  EXPECT_EQ(Query("SELECT string_agg(type, ',' ORDER BY sequence) FROM svc.audit_outbox"), "b,a");
  EXPECT_EQ(Query("SELECT count(*) FROM svc.audit_outbox WHERE delivered_at IS NULL"), "2");
}

TEST_F(PostgresAuditOutboxTest, ARepeatedIdIsAlreadyExists) {
  PostgresAuditOutbox outbox(pool_.get(), kSchema);
  const AuditEvent event = Event("thing.created");
  ASSERT_OK(outbox.Append(event));
  EXPECT_THAT(outbox.Append(event), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Query("SELECT count(*) FROM svc.audit_outbox"), "1");
}

TEST_F(PostgresAuditOutboxTest, AMissingSchemaIsAnErrorNotACrash) {
  PostgresAuditOutbox outbox(pool_.get(), "no_such_schema");
  EXPECT_THAT(outbox.Append(Event("thing.created")), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(PostgresAuditOutboxTest, TheMigrationGivesTheRelayItsColumnsAndIndexes) {
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  const std::string shape = testing::DescribeOutboxTable(txn, kSchema);
  EXPECT_THAT(shape, HasSubstr("column sequence bigint not null default\n"));
  EXPECT_THAT(shape, HasSubstr("column delivered_at timestamp with time zone null\n"));
  EXPECT_THAT(shape, HasSubstr("audit_outbox_pending ON audit_outbox USING btree (sequence) "
                               "WHERE (delivered_at IS NULL)"));
  EXPECT_THAT(shape, HasSubstr("audit_outbox_delivered ON audit_outbox USING btree (delivered_at) "
                               "WHERE (delivered_at IS NOT NULL)"));
  EXPECT_EQ(shape, testing::KitOutboxTable(db().conninfo()));
}

}  // namespace
}  // namespace jit::audit
