// TestDatabase: a fresh, uniquely named PostgreSQL database for one test, dropped afterwards.
//
// The server comes from JIT_TEST_PG_URL, a superuser URL that tests/run.sh provides
// (start one by hand with `tests/lib/pg.sh start DIR --fast` and pass
// `--test_env=JIT_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres`). Without it the
// test fails with a message saying so: a database test is never skipped silently.
//
//   class PostgresRoleStoreTest : public jit::db::testing::PostgresTest {};
//   TEST_F(PostgresRoleStoreTest, Upserts) {
//     ASSERT_OK_AND_ASSIGN(auto pool, jit::db::PgPool::Create(db().PoolOptions()));
//     ...
//   }
//
// BUILD: the test depends on //common/db/testing:test_database and carries
// tags = ["pg", "external"] ("external": never cached, the server is outside Bazel's view).
//
// Errors (Create): FAILED_PRECONDITION when JIT_TEST_PG_URL is missing, INVALID_ARGUMENT when
// it cannot be parsed, UNAVAILABLE when the server cannot be reached, INTERNAL when the
// database cannot be created. The destructor terminates the database's remaining sessions
// and drops it (JIT_TEST_PG_KEEP=1 keeps it for a post-mortem; its name is logged).
// Thread-safety: the object is immutable after Create.
#ifndef JIT_COMMON_DB_TESTING_TEST_DATABASE_H_
#define JIT_COMMON_DB_TESTING_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/db/pg_pool.h"
#include "gtest/gtest.h"

namespace jit::db::testing {

inline constexpr char kTestPgUrlEnv[] = "JIT_TEST_PG_URL";

class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create();

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  // "jit_test_<pid>_<n>_<random>".
  const std::string& name() const { return name_; }
  // libpq key=value string for this database as the superuser.
  const std::string& conninfo() const { return conninfo_; }
  // Pool options for this database: short timeouts so that a broken test fails quickly.
  PgPoolOptions PoolOptions(int size = 4) const;

 private:
  TestDatabase(std::string name, std::string conninfo, std::string admin_conninfo)
      : name_(std::move(name)),
        conninfo_(std::move(conninfo)),
        admin_conninfo_(std::move(admin_conninfo)) {}

  const std::string name_;
  const std::string conninfo_;
  const std::string admin_conninfo_;
};

// A fixture with one TestDatabase per test; SetUp fails the test if it cannot be created.
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  TestDatabase& db() { return *db_; }

 private:
  std::unique_ptr<TestDatabase> db_;
};

}  // namespace jit::db::testing

#endif  // JIT_COMMON_DB_TESTING_TEST_DATABASE_H_
