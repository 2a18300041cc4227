// SigningKeyStore over the auth schema's signing_keys table. Private keys (Ed25519 seeds)
// are sealed under the key-encryption key, bound to their kid.
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_SIGNING_KEY_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_SIGNING_KEY_STORE_H_

#include "common/crypto/key_encryption.h"
#include "common/db/pg_pool.h"
#include "services/auth/signing_key_store.h"

namespace jit::auth {

// Thread-safe; borrows the pool and the KEK. `kek` may be null for a store that only lists
// public keys (ListPublished); the other methods then answer FAILED_PRECONDITION.
class PostgresSigningKeyStore final : public SigningKeyStore {
 public:
  PostgresSigningKeyStore(db::PgPool* pool, const crypto::KeyEncryptionKey* kek)
      : pool_(pool), kek_(kek) {}

  absl::StatusOr<std::vector<SigningKeyRecord>> ListPublished(absl::Time now,
                                                              absl::Duration retention) override;
  absl::StatusOr<ActiveSigningKey> Active(absl::Time now) override;
  absl::Status Add(const SigningKeyRecord& key, const audit::AuditEvent& event) override;
  absl::StatusOr<bool> AddIfEmpty(const SigningKeyRecord& key,
                                  const audit::AuditEvent& event) override;
  absl::StatusOr<int64_t> DeleteRetired(absl::Time now, absl::Duration retention) override;

 private:
  absl::Status NeedKek() const;

  db::PgPool* const pool_;
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_SIGNING_KEY_STORE_H_
