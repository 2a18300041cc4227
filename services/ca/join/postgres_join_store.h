// JoinStore over the ca schema's join_tokens, enrolled_hosts and internal_ca tables
// (migrations/0005_join.sql). Redeem takes the token row FOR UPDATE, so a second redemption
// of one token waits for the first and then sees it redeemed. The internal CA's key is
// sealed under the key-encryption key with associated data "internal_ca".
// `after_lock_for_testing`, when set, runs inside Redeem right after the row is locked
// (race tests hold the lock there). Thread-safe; borrows the pool and the KEK.
#ifndef JIT_SERVICES_CA_JOIN_POSTGRES_JOIN_STORE_H_
#define JIT_SERVICES_CA_JOIN_POSTGRES_JOIN_STORE_H_

#include <functional>

#include "common/crypto/key_encryption.h"
#include "common/db/pg_pool.h"
#include "services/ca/join/join_store.h"

namespace jit::ca::join {

class PostgresJoinStore final : public JoinStore {
 public:
  PostgresJoinStore(db::PgPool* pool, const crypto::KeyEncryptionKey* kek)
      : pool_(pool), kek_(kek) {}

  absl::Status CreateToken(const JoinTokenRecord& token,
                           const jit::common::v1::AuditEvent& event) override;
  absl::StatusOr<JoinTokenRecord> Redeem(std::string_view token_id, absl::Time now,
                                         std::string_view redeemed_as, const Check& check,
                                         const std::optional<EnrolledHost>& host,
                                         const jit::common::v1::AuditEvent& event) override;
  absl::StatusOr<std::optional<EnrolledHost>> GetHost(std::string_view name) override;
  absl::StatusOr<std::optional<InternalCaRecord>> LoadInternalCa() override;
  absl::StatusOr<bool> ImportInternalCaIfAbsent(const InternalCaRecord& ca,
                                                const jit::common::v1::AuditEvent& event) override;

  std::function<void()> after_lock_for_testing;

 private:
  db::PgPool* const pool_;
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_POSTGRES_JOIN_STORE_H_
