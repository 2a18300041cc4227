// UserStore over the auth schema (tables users, totp_enrollments, sessions, audit_outbox).
// TOTP secrets are sealed under the key-encryption key, bound to the user name.
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_USER_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_USER_STORE_H_

#include "common/crypto/key_encryption.h"
#include "common/db/pg_pool.h"
#include "services/auth/user_store.h"

namespace jit::auth {

// Thread-safe; borrows the pool and the KEK.
class PostgresUserStore final : public UserStore {
 public:
  PostgresUserStore(db::PgPool* pool, const crypto::KeyEncryptionKey* kek)
      : pool_(pool), kek_(kek) {}

  absl::StatusOr<std::optional<UserRecord>> Get(std::string_view name) override;
  absl::StatusOr<std::vector<UserRecord>> List(std::string_view after, int limit) override;
  absl::Status Create(const UserRecord& user, const audit::AuditEvent& event) override;
  absl::StatusOr<UserRecord> UpsertExternal(const UserRecord& user,
                                            const audit::AuditEvent& event) override;
  absl::StatusOr<UserRecord> UpdateProfile(const jit::auth::v1::User& profile, absl::Time now,
                                           const audit::AuditEvent& event) override;
  absl::Status Delete(std::string_view name, absl::Time now,
                      const audit::AuditEvent& event) override;
  absl::Status SetPasswordHash(std::string_view name, const std::string& hash, absl::Time now,
                               std::string_view keep_session_id,
                               std::optional<int64_t> expected_generation,
                               const audit::AuditEvent& event) override;
  absl::Status RehashPassword(std::string_view name, const std::string& old_hash,
                              const std::string& new_hash) override;
  absl::Status PutTotpEnrollment(std::string_view name, const SecretString& secret,
                                 absl::Time expire_time, const audit::AuditEvent& event) override;
  absl::StatusOr<SecretString> GetTotpEnrollment(std::string_view name, absl::Time now) override;
  absl::Status ResetTotp(std::string_view name, absl::Time now,
                         const audit::AuditEvent& event) override;
  absl::Status ActivateTotp(std::string_view name, const SecretString& secret, absl::Time now,
                            const audit::AuditEvent& event) override;

 private:
  db::PgPool* const pool_;
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_USER_STORE_H_
