// CaKeyStore over the ca schema's ca_keys table (migrations/0002_ca.sql). Private keys are
// sealed under the key-encryption key bound to their key id ("ca_key:<key_id>"), so a
// sealed key copied into another row does not open. "One active key per kind" is a partial
// unique index; AddActiveIfAbsent inserts with ON CONFLICT DO NOTHING, so of replicas
// starting together on an empty database exactly one stores its key (and its audit event).
// Thread-safe; borrows the pool and the KEK.
#ifndef JIT_SERVICES_CA_POSTGRES_CA_KEY_STORE_H_
#define JIT_SERVICES_CA_POSTGRES_CA_KEY_STORE_H_

#include "common/crypto/key_encryption.h"
#include "common/db/pg_pool.h"
#include "services/ca/ca_key_store.h"

namespace jit::ca {

class PostgresCaKeyStore final : public CaKeyStore {
 public:
  PostgresCaKeyStore(db::PgPool* pool, const crypto::KeyEncryptionKey* kek)
      : pool_(pool), kek_(kek) {}

  absl::StatusOr<std::vector<CaKeyRecord>> ListKeys() override;
  absl::StatusOr<bool> AddActiveIfAbsent(const CaKeyRecord& key,
                                         const jit::common::v1::AuditEvent& event) override;

 private:
  db::PgPool* const pool_;
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_POSTGRES_CA_KEY_STORE_H_
