#include "services/auth/postgres_audit_outbox.h"

#include "common/db/pg_transaction.h"
#include "pqxx/pqxx"
#include "services/auth/postgres_rows.h"

namespace jit::auth {

absl::Status PostgresAuditOutbox::Append(const AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pg::InsertAuditEvent(txn, event);
    return absl::OkStatus();
  });
}

}  // namespace jit::auth
