#include "services/auth/testing/auth_database.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/auth/migrations.h"
#include "services/auth/service_name.h"

namespace jit::auth::testing {

void AuthDatabaseTest::SetUp() {
  PostgresTest::SetUp();
  if (HasFatalFailure()) return;
  absl::StatusOr<std::unique_ptr<db::PgPool>> pool = db::PgPool::Create(db().PoolOptions(4));
  ASSERT_TRUE(pool.ok()) << pool.status();
  pool_ = *std::move(pool);
  absl::Status migrated = db::ApplyMigrations(*pool_, kAuthService, Migrations());
  ASSERT_TRUE(migrated.ok()) << migrated;
}

std::string AuthDatabaseTest::QueryValue(const std::string& sql) {
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  pqxx::result r = txn.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

bool AuthDatabaseTest::WaitForALockWaiter() {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (QueryValue("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") != "0") {
      return true;
    }
  }
  return false;
}

int AuthDatabaseTest::AuditCount(const std::string& type) {
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  return txn.exec_params("SELECT count(*) FROM auth.audit_outbox WHERE type = $1", type)[0][0]
      .as<int>();
}

audit::AuditEvent TestEvent(const std::string& type, absl::Time time) {
  absl::StatusOr<audit::AuditEvent> event =
      audit::NewAuditEvent(kAuthService, type, time, {.actor = "user:tester"}, "user:someone",
                           audit::AuditEvent::OUTCOME_SUCCESS, "test event");
  return event.ok() ? *std::move(event) : audit::AuditEvent();
}

}  // namespace jit::auth::testing
