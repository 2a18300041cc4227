// A test fixture with a fresh PostgreSQL database migrated to the auth schema (see
// common/db/testing/test_database.h for where the server comes from), plus helpers.
#ifndef JIT_SERVICES_AUTH_TESTING_AUTH_DATABASE_H_
#define JIT_SERVICES_AUTH_TESTING_AUTH_DATABASE_H_

#include <memory>
#include <string>

#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"

namespace jit::auth::testing {

class AuthDatabaseTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override;

  db::PgPool& pool() { return *pool_; }

  // The first column of the first row of `sql`, as text ("" for NULL or no row).
  std::string QueryValue(const std::string& sql);

  // Waits (bounded by 30 s, polling pg_stat_activity) until a session of this database is
  // blocked on a lock: how a test orders a statement after another one that must wait.
  // False if none did.
  bool WaitForALockWaiter();

  // Rows in auth.audit_outbox with this type.
  int AuditCount(const std::string& type);

 private:
  std::unique_ptr<db::PgPool> pool_;
};

// An audit event of `type` by "user:tester" (for store calls).
audit::AuditEvent TestEvent(const std::string& type, absl::Time time = absl::Now());

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_TESTING_AUTH_DATABASE_H_
