#include "common/audit/testing/outbox_table.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/audit/outbox_test_migrations.h"
#include "common/db/migrations.h"
#include "pqxx/pqxx"

namespace jit::audit::testing {

std::string DescribeOutboxTable(pqxx::transaction_base& txn, std::string_view schema) {
  const std::string s(schema);
  std::string out;
  for (const pqxx::row& row :
       txn.exec_params("SELECT column_name, data_type, is_nullable, column_default IS NOT NULL "
                       "FROM information_schema.columns WHERE table_schema = $1 AND table_name = "
                       "'audit_outbox' ORDER BY ordinal_position",
                       s)) {
    absl::StrAppend(&out, "column ", row[0].as<std::string>(), " ", row[1].as<std::string>(),
                    row[2].as<std::string>() == "YES" ? " null" : " not null",
                    row[3].as<bool>() ? " default" : "", "\n");
  }
  for (const pqxx::row& row :
       txn.exec_params("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = "
                       "'audit_outbox' ORDER BY indexname",
                       s)) {
    absl::StrAppend(&out, absl::StrReplaceAll(row[0].as<std::string>(), {{s + ".", ""}}), "\n");
  }
  return out;
}

std::string KitOutboxTable(const std::string& conninfo) {
  constexpr char kScratch[] = "kit_outbox_reference";
  pqxx::connection connection(conninfo);
  absl::Status migrated = db::ApplyMigrations(connection, kScratch, outbox_test::Migrations());
  if (!migrated.ok()) return absl::StrCat("kit migration failed: ", migrated.ToString());
  pqxx::work txn(connection);
  std::string shape = DescribeOutboxTable(txn, kScratch);
  txn.exec(absl::StrCat("DROP SCHEMA ", kScratch, " CASCADE"));
  txn.commit();
  return shape;
}

}  // namespace jit::audit::testing
