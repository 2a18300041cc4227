// AuditOutbox over auth.audit_outbox (for events that go with no other change).
#ifndef JIT_SERVICES_AUTH_POSTGRES_AUDIT_OUTBOX_H_
#define JIT_SERVICES_AUTH_POSTGRES_AUDIT_OUTBOX_H_

#include "common/db/pg_pool.h"
#include "services/auth/audit_outbox.h"

namespace jit::auth {

// Thread-safe; borrows the pool.
class PostgresAuditOutbox final : public AuditOutbox {
 public:
  explicit PostgresAuditOutbox(db::PgPool* pool) : pool_(pool) {}
  absl::Status Append(const AuditEvent& event) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_POSTGRES_AUDIT_OUTBOX_H_
