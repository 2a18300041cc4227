// OidcStateStore (oidc/state_store.h) over auth.oidc_states, so that any replica can
// complete a login another began. The nonce and PKCE verifier are sealed under the KEK.
#ifndef JIT_SERVICES_AUTH_POSTGRES_OIDC_STATE_STORE_H_
#define JIT_SERVICES_AUTH_POSTGRES_OIDC_STATE_STORE_H_

#include <cstdint>

#include "common/db/pg_pool.h"
#include "services/auth/key_encryption.h"
#include "services/auth/oidc/state_store.h"

namespace jit::auth {

// Thread-safe; borrows the pool and the KEK. At most `capacity` unexpired logins wait at
// once (BeginOidcLogin is unauthenticated: a flood must not fill the database).
class PostgresOidcStateStore final : public oidc::OidcStateStore {
 public:
  PostgresOidcStateStore(db::PgPool* pool, const KeyEncryptionKey* kek, int64_t capacity = 100'000)
      : pool_(pool), kek_(kek), capacity_(capacity) {}

  absl::Status Put(const std::string& key, oidc::PendingOidcLogin login, absl::Time now) override;
  absl::StatusOr<oidc::PendingOidcLogin> Take(const std::string& key, absl::Time now) override;
  absl::StatusOr<std::string> ConnectorOf(const std::string& key, absl::Time now) override;

  // Forgets logins that expired before `before`.
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before);

 private:
  db::PgPool* const pool_;
  const KeyEncryptionKey* const kek_;
  const int64_t capacity_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_POSTGRES_OIDC_STATE_STORE_H_
