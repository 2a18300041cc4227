// SessionStore over the auth schema (sessions, revocation_counter, audit_outbox; Create reads
// the user's session_generation in auth.users FOR SHARE).
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_SESSION_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_SESSION_STORE_H_

#include "common/db/pg_pool.h"
#include "services/auth/session_store.h"

namespace jit::auth {

// Thread-safe; borrows the pool.
class PostgresSessionStore final : public SessionStore {
 public:
  explicit PostgresSessionStore(db::PgPool* pool) : pool_(pool) {}

  absl::Status Create(const SessionRecord& session, int64_t user_generation,
                      const audit::AuditEvent& event) override;
  absl::StatusOr<std::optional<SessionRecord>> Get(std::string_view id) override;
  absl::Status Revoke(std::string_view id, std::string_view revoked_by, absl::Time now,
                      const audit::AuditEvent& event) override;
  absl::StatusOr<RevocationUpdate> ListRevoked(int64_t after_cursor, absl::Time now) override;
  absl::StatusOr<int64_t> CountActive(absl::Time now) override;
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_SESSION_STORE_H_
