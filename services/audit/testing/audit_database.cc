#include "services/audit/testing/audit_database.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/db/migrations.h"
#include "common/db/pg_errors.h"
#include "common/testing/subprocess.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/audit/migrations.h"

namespace jit::audit::testing {
namespace {

// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

}  // namespace

void AuditDatabaseTest::SetUp() {
  db::testing::PostgresTest::SetUp();
  if (HasFatalFailure()) return;
  {
    auto admin = db::PgPool::Create(db().PoolOptions(1));
    ASSERT_TRUE(admin.ok()) << admin.status();
    ASSERT_TRUE(db::ApplyMigrations(**admin, "audit", Migrations()).ok());
  }
  writer_role_ = absl::StrCat(db().name(), "_writer");
  absl::Status created = db::CatchPgErrors([&]() -> absl::Status {
    pqxx::connection c(db().conninfo());
    pqxx::nontransaction txn(c);
    txn.exec(absl::StrCat("CREATE ROLE ", txn.quote_name(writer_role_),
                          " LOGIN IN ROLE jit_audit_writer"));
    return absl::OkStatus();
  });
  ASSERT_TRUE(created.ok()) << created;
  auto pool = NewWriterPool();
  ASSERT_TRUE(pool.ok()) << pool.status();
  writer_pool_ = *std::move(pool);
}

void AuditDatabaseTest::TearDown() {
  writer_pool_.reset();
  if (writer_role_.empty()) return;
  absl::Status dropped = db::CatchPgErrors([&]() -> absl::Status {
    pqxx::connection c(db().conninfo());
    pqxx::nontransaction txn(c);
    txn.exec_params(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE usename = $1",
        writer_role_);
    txn.exec(absl::StrCat("DROP ROLE IF EXISTS ", txn.quote_name(writer_role_)));
    return absl::OkStatus();
  });
  EXPECT_TRUE(dropped.ok()) << dropped;
}

std::string AuditDatabaseTest::WriterConninfo() {
  return absl::StrCat(db().conninfo(), " user=", writer_role_);
}

absl::StatusOr<std::unique_ptr<db::PgPool>> AuditDatabaseTest::NewWriterPool(int size) {
  db::PgPoolOptions options = db().PoolOptions(size);
  options.conninfo = SecretString(WriterConninfo());
  return db::PgPool::Create(options);
}

absl::StatusOr<std::string> AuditDatabaseTest::Psql(const std::string& conninfo,
                                                    const std::string& sql) {
  const auto [code, output] =
      jit::testing::RunShell(absl::StrCat("psql -X -q -A -t -v ON_ERROR_STOP=1 ",
                                          ShellQuote(conninfo), " -c ", ShellQuote(sql), " 2>&1"));
  if (code != 0) return absl::InternalError(absl::StrCat("psql exit ", code, ": ", output));
  return output;
}

absl::StatusOr<std::string> AuditDatabaseTest::PsqlAsSuperuser(const std::string& sql) {
  return Psql(db().conninfo(), sql);
}

absl::StatusOr<std::string> AuditDatabaseTest::PsqlAsWriter(const std::string& sql) {
  return Psql(WriterConninfo(), sql);
}

}  // namespace jit::audit::testing
