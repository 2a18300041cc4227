#include "common/db/testing/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/db/conninfo.h"
#include "common/db/pg_errors.h"
#include "pqxx/connection"
#include "pqxx/nontransaction"
#include "spdlog/spdlog.h"

namespace jit::db::testing {
namespace {

std::string UniqueName() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return absl::StrFormat("jit_test_%d_%d_%08x", static_cast<int>(getpid()), counter++,
                         static_cast<unsigned>(random()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create() {
  const char* url = std::getenv(kTestPgUrlEnv);
  if (url == nullptr || *url == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        kTestPgUrlEnv,
        " is not set: this test needs a PostgreSQL superuser URL. Run it through tests/run.sh, "
        "or start a server with `tests/lib/pg.sh start /tmp/jit-pg --fast` and pass "
        "--test_env=",
        kTestPgUrlEnv, "=postgresql://postgres@127.0.0.1:PORT/postgres to bazel test"));
  }
  absl::StatusOr<Conninfo> admin = Conninfo::Parse(url);
  if (!admin.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kTestPgUrlEnv, ": ", admin.status().message()));
  }
  admin->Set("connect_timeout", "10");
  const std::string admin_conninfo(admin->ToConnectionString().Reveal());
  const std::string name = UniqueName();
  absl::Status created = CatchPgErrors([&]() -> absl::Status {
    pqxx::connection connection(admin_conninfo);
    pqxx::nontransaction txn(connection);
    txn.exec(absl::StrCat("CREATE DATABASE ", txn.quote_name(name)));
    return absl::OkStatus();
  });
  if (!created.ok()) {
    return absl::Status(
        created.code(),
        absl::StrCat("cannot create test database ", name, " on ", admin->Describe(), ": ",
                     admin->Redact(std::string(created.message()))));
  }
  Conninfo info = *admin;
  info.Set("dbname", name);
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(name, std::string(info.ToConnectionString().Reveal()), admin_conninfo));
}

TestDatabase::~TestDatabase() {
  const char* keep = std::getenv("JIT_TEST_PG_KEEP");
  if (keep != nullptr && std::string(keep) == "1") {
    spdlog::warn("keeping test database {}", name_);
    return;
  }
  absl::Status dropped = CatchPgErrors([&]() -> absl::Status {
    pqxx::connection connection(admin_conninfo_);
    pqxx::nontransaction txn(connection);
    txn.exec_params(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name_);
    txn.exec(absl::StrCat("DROP DATABASE IF EXISTS ", txn.quote_name(name_), " WITH (FORCE)"));
    return absl::OkStatus();
  });
  if (!dropped.ok()) {
    spdlog::error("cannot drop test database {}: {}", name_, std::string(dropped.message()));
  }
}

PgPoolOptions TestDatabase::PoolOptions(int size) const {
  PgPoolOptions options;
  options.conninfo = SecretString(conninfo_);
  options.size = size;
  options.connect_timeout = absl::Seconds(10);
  options.acquire_timeout = absl::Seconds(30);
  options.application_name = "jit-test";
  return options;
}

void PostgresTest::SetUp() {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *std::move(db);
}

}  // namespace jit::db::testing
