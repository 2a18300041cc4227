#include "common/audit/postgres_audit_outbox.h"

#include "absl/strings/str_cat.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "pqxx/pqxx"

namespace jit::audit {

void InsertOutboxEvent(pqxx::transaction_base& txn, std::string_view schema,
                       const jit::common::v1::AuditEvent& event) {
  txn.exec_params(
      absl::StrCat("INSERT INTO ", txn.quote_name(std::string(schema)), ".", kOutboxTable,
                   " (id, type, event, create_time) "
                   "VALUES ($1::uuid, $2, $3, $4::timestamptz)"),
      event.id(), event.type(), db::Bytea(event.SerializeAsString()),
      db::Timestamptz(FromProtoTimestamp(event.time())));
}

absl::Status PostgresAuditOutbox::Append(const jit::common::v1::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    InsertOutboxEvent(txn, schema_, event);
    return absl::OkStatus();
  });
}

}  // namespace jit::audit
