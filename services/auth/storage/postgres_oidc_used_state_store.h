// OidcUsedStateStore (services/auth/oidc/state_store.h) over auth.oidc_used_states: the login ids
// of OIDC states that completed a login, shared by every replica.
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_OIDC_USED_STATE_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_OIDC_USED_STATE_STORE_H_

#include <cstdint>
#include <string_view>

#include "common/db/pg_pool.h"
#include "services/auth/oidc/state_store.h"

namespace jit::auth {

// Thread-safe; borrows the pool.
class PostgresOidcUsedStateStore final : public oidc::OidcUsedStateStore {
 public:
  explicit PostgresOidcUsedStateStore(db::PgPool* pool) : pool_(pool) {}

  // One INSERT ... ON CONFLICT DO NOTHING: the first of concurrent calls wins.
  absl::Status MarkUsed(std::string_view login_id, absl::Time expire_time) override;
  absl::StatusOr<bool> IsUsed(std::string_view login_id) override;
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_OIDC_USED_STATE_STORE_H_
