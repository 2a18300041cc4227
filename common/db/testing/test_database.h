// TestDatabase: a fresh, uniquely named PostgreSQL database for one test, dropped afterwards
// (its remaining sessions terminated; JIT_TEST_PG_KEEP=1 keeps it, its name is logged).
// The server is JIT_TEST_PG_URL (a superuser URL from tests/run.sh or tests/lib/pg.sh); a
// database test without it fails saying so, never skips. Targets depend on
// //common/db/testing:test_database and carry tags = ["pg", "external"].
// Errors (Create): FAILED_PRECONDITION without JIT_TEST_PG_URL, INVALID_ARGUMENT when it
// cannot be parsed, UNAVAILABLE when unreachable, INTERNAL when the database cannot be
// created. Immutable after Create. Example: common/db/README.md.
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
