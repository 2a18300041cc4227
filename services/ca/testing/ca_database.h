// A fixture for the ca service's PostgreSQL tests: a fresh database (JIT_TEST_PG_URL) with
// the ca schema migrated, a pool on it, and helpers to read it as the superuser.
#ifndef JIT_SERVICES_CA_TESTING_CA_DATABASE_H_
#define JIT_SERVICES_CA_TESTING_CA_DATABASE_H_

#include <memory>
#include <string>

#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"

namespace jit::ca::testing {

class CaDatabaseTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override;
  db::PgPool& pool() { return *pool_; }
  // Runs `sql` as the superuser in its own committed transaction; the first column of the
  // first row as text ("" for none or NULL).
  std::string QueryValue(const std::string& sql);
  // Waits (up to 30 s) until a session of this database waits for a lock.
  bool WaitForALockWaiter();

 private:
  std::unique_ptr<db::PgPool> pool_;
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_CA_DATABASE_H_
