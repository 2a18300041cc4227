#include "services/ca/testing/ca_database.h"

#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/ca/migrations.h"
#include "services/ca/service_name.h"

namespace jit::ca::testing {

void CaDatabaseTest::SetUp() {
  PostgresTest::SetUp();
  if (HasFatalFailure()) return;
  absl::StatusOr<std::unique_ptr<db::PgPool>> pool = db::PgPool::Create(db().PoolOptions(4));
  ASSERT_TRUE(pool.ok()) << pool.status();
  pool_ = *std::move(pool);
  absl::Status migrated = db::ApplyMigrations(*pool_, kCaService, Migrations());
  ASSERT_TRUE(migrated.ok()) << migrated;
}

std::string CaDatabaseTest::QueryValue(const std::string& sql) {
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  pqxx::result r = txn.exec(sql);
  txn.commit();
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

bool CaDatabaseTest::WaitForALockWaiter() {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (QueryValue("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") != "0") {
      return true;
    }
  }
  return false;
}

}  // namespace jit::ca::testing
