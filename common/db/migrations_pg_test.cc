// ApplyMigrations against a real PostgreSQL (JIT_TEST_PG_URL, see testing/test_database.h).
#include <latch>
#include <thread>
#include <utility>
#include <vector>

#include "common/db/migrations.h"
#include "common/db/testdata_migrations.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/nontransaction"
#include "pqxx/result"

namespace jit::db {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kSchema[] = "svc";

class MigrationsTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<PgPool>> pool = PgPool::Create(db().PoolOptions(1));
    ASSERT_OK(pool);
    pool_ = *std::move(pool);
  }

  absl::Status Apply(const std::vector<Migration>& migrations) {
    return ApplyMigrations(*pool_, kSchema, migrations);
  }

  // Runs a query on a separate session and returns the first column of each row as text
  // (NULL as "NULL").
  std::vector<std::string> Query(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    std::vector<std::string> out;
    for (const pqxx::row& row : txn.exec(sql)) {
      out.push_back(row[0].is_null() ? "NULL" : row[0].as<std::string>());
    }
    return out;
  }

  std::vector<std::string> AppliedVersions() {
    return Query("SELECT version FROM svc.schema_migrations ORDER BY version");
  }

  bool TableExists(const std::string& name) {
    return Query("SELECT to_regclass('" + name + "') IS NOT NULL") == std::vector<std::string>{"t"};
  }

  int AdvisoryLocksHeld() {
    // This test's database only: tests running in parallel on the same server take advisory
    // locks of their own (every service migrates under one).
    return std::stoi(
        Query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
              "(SELECT oid FROM pg_database WHERE datname = current_database())")[0]);
  }

  std::unique_ptr<PgPool> pool_;
};

const Migration kCreate{1, "create", "CREATE TABLE t (x int);"};
const Migration kInsert{2, "insert", "INSERT INTO t VALUES (2);"};
const Migration kInsertAgain{3, "insert_again", "INSERT INTO t VALUES (3);"};

TEST_F(MigrationsTest, AppliesPendingMigrationsInOrderInsideTheSchema) {
  ASSERT_OK(Apply({kCreate, kInsert}));
  EXPECT_TRUE(TableExists("svc.t"));  // search_path was the schema
  EXPECT_FALSE(TableExists("public.t"));
  EXPECT_THAT(Query("SELECT x FROM svc.t"), ElementsAre("2"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2"));
  EXPECT_THAT(Query("SELECT name || ' ' || checksum FROM svc.schema_migrations ORDER BY version"),
              ElementsAre("create " + MigrationChecksum(kCreate.sql),
                          "insert " + MigrationChecksum(kInsert.sql)));
}

TEST_F(MigrationsTest, RerunIsANoOp) {
  ASSERT_OK(Apply({kCreate, kInsert}));
  const std::vector<std::string> applied_at =
      Query("SELECT applied_at::text FROM svc.schema_migrations ORDER BY version");
  ASSERT_OK(Apply({kCreate, kInsert}));
  EXPECT_THAT(Query("SELECT x FROM svc.t"), ElementsAre("2"));
  EXPECT_EQ(Query("SELECT applied_at::text FROM svc.schema_migrations ORDER BY version"),
            applied_at);
}

TEST_F(MigrationsTest, UpgradeAppliesOnlyTheNewMigrations) {
  ASSERT_OK(Apply({kCreate}));
  ASSERT_OK(Apply({kCreate, kInsert, kInsertAgain}));
  EXPECT_THAT(Query("SELECT x FROM svc.t ORDER BY x"), ElementsAre("2", "3"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2", "3"));
}

TEST_F(MigrationsTest, ChangedAppliedMigrationIsRefusedAndNothingElseApplied) {
  ASSERT_OK(Apply({kCreate}));
  Migration edited = kCreate;
  edited.sql = "CREATE TABLE t (x bigint);";
  edited.file = "services/svc/migrations/0001_create.sql";
  EXPECT_THAT(
      Apply({edited, kInsert}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("migration 1"), HasSubstr("services/svc/migrations/0001_create.sql"),
                     HasSubstr("changed after it was applied"))));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1"));
  EXPECT_EQ(AdvisoryLocksHeld(), 0);
}

TEST_F(MigrationsTest, FailingMigrationLeavesNeitherEffectsNorRow) {
  const Migration breaks{2, "breaks",
                         "CREATE TABLE half (x int); INSERT INTO half VALUES (1); SELECT 1/0;",
                         "services/svc/migrations/0002_breaks.sql"};
  EXPECT_THAT(Apply({kCreate, breaks}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("schema svc"), HasSubstr("migration 2"),
                             HasSubstr("services/svc/migrations/0002_breaks.sql"),
                             HasSubstr("division by zero"))));
  EXPECT_FALSE(TableExists("svc.half"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1"));
  EXPECT_EQ(AdvisoryLocksHeld(), 0);

  const Migration fixed{2, "breaks", "CREATE TABLE half (x int);"};
  ASSERT_OK(Apply({kCreate, fixed}));
  EXPECT_TRUE(TableExists("svc.half"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2"));
}

TEST_F(MigrationsTest, DatabaseNewerThanTheBinaryIsTolerated) {
  ASSERT_OK(Apply({kCreate, kInsert}));
  EXPECT_OK(Apply({kCreate}));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2"));
}

TEST_F(MigrationsTest, PendingVersionOlderThanAnAppliedOneIsRefused) {
  ASSERT_OK(Apply({kCreate, kInsertAgain}));
  EXPECT_THAT(Apply({kCreate, kInsert, kInsertAgain}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("migration 2"), HasSubstr("in order"))));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "3"));
}

TEST_F(MigrationsTest, AppliedVersionMissingFromTheBinaryIsRefused) {
  ASSERT_OK(Apply({kCreate, kInsert, kInsertAgain}));
  EXPECT_THAT(Apply({kCreate, kInsertAgain}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("migration 2")));
}

TEST_F(MigrationsTest, InvalidListIsRefusedBeforeTouchingTheDatabase) {
  EXPECT_THAT(Apply({kInsert, kCreate}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Query("SELECT count(*) FROM pg_namespace WHERE nspname = 'svc'"), ElementsAre("0"));
}

TEST_F(MigrationsTest, BadSchemaNameIsInvalidArgument) {
  for (const char* schema : {"", "Auth", "pg_auth", "a;drop", "1abc"}) {
    EXPECT_THAT(ApplyMigrations(*pool_, schema, {kCreate}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << schema;
  }
}

// A deployment where a DBA created the schema for the service's role, which may not create
// schemas in the database.
TEST_F(MigrationsTest, UsesAPreCreatedSchemaWithoutCreatePrivilegeOnTheDatabase) {
  const std::string role = db().name() + "_svc";
  pqxx::connection admin(db().conninfo());
  pqxx::nontransaction txn(admin);
  txn.exec("CREATE ROLE " + txn.quote_name(role) + " LOGIN");
  txn.exec("REVOKE CREATE ON DATABASE " + txn.quote_name(db().name()) + " FROM PUBLIC");
  txn.exec("CREATE SCHEMA svc AUTHORIZATION " + txn.quote_name(role));
  absl::Status status;
  {
    PgPoolOptions options = db().PoolOptions(1);
    options.conninfo = SecretString(db().conninfo() + " user=" + role);
    absl::StatusOr<std::unique_ptr<PgPool>> pool = PgPool::Create(options);
    status = pool.ok() ? ApplyMigrations(**pool, kSchema, {kCreate, kInsert}) : pool.status();
  }
  txn.exec("DROP SCHEMA svc CASCADE");
  txn.exec("DROP ROLE " + txn.quote_name(role));
  EXPECT_OK(status);
}

// The audit sink's deployment: the owner migrated the schema; a role that may use its tables
// but not create anything in it (no CREATE on the schema) starts with nothing pending.
TEST_F(MigrationsTest, ARoleWithoutCreateOnTheSchemaFindsTheOwnersMigrationsUpToDate) {
  ASSERT_OK(Apply({kCreate, kInsert}));
  const std::string role = db().name() + "_reader";
  pqxx::connection admin(db().conninfo());
  pqxx::nontransaction txn(admin);
  txn.exec("CREATE ROLE " + txn.quote_name(role) + " LOGIN");
  txn.exec("GRANT USAGE ON SCHEMA svc TO " + txn.quote_name(role));
  txn.exec("GRANT SELECT ON svc.schema_migrations TO " + txn.quote_name(role));
  absl::Status up_to_date;
  absl::Status pending;
  {
    PgPoolOptions options = db().PoolOptions(1);
    options.conninfo = SecretString(db().conninfo() + " user=" + role);
    absl::StatusOr<std::unique_ptr<PgPool>> pool = PgPool::Create(options);
    up_to_date = pool.ok() ? ApplyMigrations(**pool, kSchema, {kCreate, kInsert}) : pool.status();
    // A pending migration is the owner's to apply: refused, not half done.
    pending = pool.ok() ? ApplyMigrations(**pool, kSchema, {kCreate, kInsert, kInsertAgain})
                        : pool.status();
  }
  txn.exec("DROP OWNED BY " + txn.quote_name(role));
  txn.exec("DROP ROLE " + txn.quote_name(role));
  EXPECT_OK(up_to_date);
  EXPECT_THAT(pending, StatusIs(absl::StatusCode::kInternal));  // privileges: pg_errors.h
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2"));
}

TEST_F(MigrationsTest, LockIsReleasedAfterSuccess) {
  ASSERT_OK(Apply({kCreate}));
  EXPECT_EQ(AdvisoryLocksHeld(), 0);
}

// Replicas starting together: each runner has its own session, all are released at once by a
// latch, and every migration must have run exactly once (the table has no unique constraint,
// so a second run would add a second row; a concurrent CREATE TABLE would fail a runner).
TEST_F(MigrationsTest, ConcurrentRunnersApplyEachMigrationExactlyOnce) {
  constexpr int kRunners = 8;
  const std::vector<Migration> migrations = {
      {1, "create_runs", "CREATE TABLE runs (migration int); INSERT INTO runs VALUES (1);"},
      {2, "second", "INSERT INTO runs VALUES (2);"},
      {3, "third", "INSERT INTO runs VALUES (3);"},
  };
  std::vector<std::unique_ptr<pqxx::connection>> connections;
  for (int i = 0; i < kRunners; ++i) {
    connections.push_back(std::make_unique<pqxx::connection>(db().conninfo()));
  }
  std::latch start(kRunners);
  std::vector<absl::Status> results(kRunners);
  std::vector<std::thread> runners;
  for (int i = 0; i < kRunners; ++i) {
    runners.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = ApplyMigrations(*connections[i], kSchema, migrations);
    });
  }
  for (std::thread& runner : runners) runner.join();
  for (int i = 0; i < kRunners; ++i) EXPECT_THAT(results[i], IsOk()) << "runner " << i;
  EXPECT_THAT(Query("SELECT migration || ':' || count(*) FROM svc.runs GROUP BY migration "
                    "ORDER BY migration"),
              ElementsAre("1:1", "2:1", "3:1"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2", "3"));
  EXPECT_EQ(AdvisoryLocksHeld(), 0);
}

// The SQL files embedded by jit_sql_migrations run as written (quotes, backslash, UTF-8).
TEST_F(MigrationsTest, EmbeddedSqlFilesApply) {
  ASSERT_OK(Apply(testdata::Migrations()));
  EXPECT_THAT(Query("SELECT label FROM svc.widgets"),
              ElementsAre("it's \"quoted\" \\ and ?\?= \xC3\xA9"));
  EXPECT_THAT(AppliedVersions(), ElementsAre("1", "2", "10"));
}

}  // namespace
}  // namespace jit::db
