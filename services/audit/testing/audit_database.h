// A fresh PostgreSQL database with the audit schema, migrated by the superuser (the schema's
// owner here), and a login role for this test that is a member of jit_audit_writer, as the
// sink connects in production (services/audit/README.md, "Database roles"). See
// common/db/testing/test_database.h for where the server comes from.
#ifndef JIT_SERVICES_AUDIT_TESTING_AUDIT_DATABASE_H_
#define JIT_SERVICES_AUDIT_TESTING_AUDIT_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"

namespace jit::audit::testing {

class AuditDatabaseTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Connections as the writer role (what the sink uses).
  db::PgPool& writer_pool() { return *writer_pool_; }
  // Another pool as the writer role: a second replica.
  absl::StatusOr<std::unique_ptr<db::PgPool>> NewWriterPool(int size = 4);
  const std::string& writer_role() const { return writer_role_; }
  std::string WriterConninfo();

  // Runs `sql` with the psql binary as the superuser (as an attacker with database access
  // would); returns psql's output (-At: unaligned, tuples only), or INTERNAL with it.
  absl::StatusOr<std::string> PsqlAsSuperuser(const std::string& sql);
  // The same as the writer role.
  absl::StatusOr<std::string> PsqlAsWriter(const std::string& sql);

 private:
  absl::StatusOr<std::string> Psql(const std::string& conninfo, const std::string& sql);

  std::string writer_role_;
  std::unique_ptr<db::PgPool> writer_pool_;
};

}  // namespace jit::audit::testing

#endif  // JIT_SERVICES_AUDIT_TESTING_AUDIT_DATABASE_H_
