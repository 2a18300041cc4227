// The audit outbox in PostgreSQL: one table `<schema>.audit_outbox` per service, created by
// the shared migration common/audit/audit_outbox.sql (jit_sql_migrations'
// audit_outbox_version, //bazel:sql_migrations.bzl), so its columns are the same everywhere:
//
//   id uuid PRIMARY KEY          the event's id (UUIDv7); a second insert of it conflicts
//   sequence bigserial           insertion order: the relay delivers a source in this order
//   type text                    the event's type (for operators reading the table)
//   event bytea                  the serialized jit.common.v1.AuditEvent
//   create_time timestamptz      the event's time
//   delivered_at timestamptz     NULL until the audit service acknowledged it
//
// InsertOutboxEvent writes inside the caller's transaction, so a change and its event
// commit together; it may throw libpqxx exceptions like any statement (the caller's
// RunInTransaction / CatchPgErrors maps them). A duplicate id is ALREADY_EXISTS.
#ifndef JIT_COMMON_AUDIT_POSTGRES_AUDIT_OUTBOX_H_
#define JIT_COMMON_AUDIT_POSTGRES_AUDIT_OUTBOX_H_

#include <string>
#include <string_view>

#include "common/audit/audit_outbox.h"
#include "common/db/pg_pool.h"
#include "jit/common/v1/audit_event.pb.h"
#include "pqxx/transaction_base"

namespace jit::audit {

// The outbox table's name inside each service's schema.
inline constexpr char kOutboxTable[] = "audit_outbox";

// Inserts `event` into `<schema>.audit_outbox` within `txn`.
void InsertOutboxEvent(pqxx::transaction_base& txn, std::string_view schema,
                       const jit::common::v1::AuditEvent& event);

// An AuditOutbox appending to `<schema>.audit_outbox`, one transaction per event.
// Thread-safe; borrows the pool.
class PostgresAuditOutbox final : public AuditOutbox {
 public:
  PostgresAuditOutbox(db::PgPool* pool, std::string schema)
      : pool_(pool), schema_(std::move(schema)) {}
  absl::Status Append(const jit::common::v1::AuditEvent& event) override;

 private:
  db::PgPool* const pool_;
  const std::string schema_;
};

}  // namespace jit::audit

#endif  // JIT_COMMON_AUDIT_POSTGRES_AUDIT_OUTBOX_H_
