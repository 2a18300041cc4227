// CaKeyStore over the ca schema's ca_keys and ca_rotations tables (migrations/0002_ca.sql,
// 0004_ca_rotation.sql). Private keys are sealed (AES-256-GCM, key_encryption.h) under the
// key-encryption key bound to their kind, algorithm and key id
// ("ca_key:<kind>:<algorithm>:<key_id>"), so a sealed key copied into another row, or a row
// relabelled to another kind, does not open. Rows sealed before (version 1, bound to the key
// id only) are opened and re-sealed in the new form the first time any replica lists them
// (migration on read; a replica racing it changes nothing twice). "One active key per kind" is a
// partial unique index; AddActiveIfAbsent inserts with ON CONFLICT DO NOTHING, so of replicas
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
  absl::StatusOr<RotationState> GetRotation(CaKind kind) override;
  absl::Status ApplyRotation(const RotationStep& step,
                             const jit::common::v1::AuditEvent& event) override;

 private:
  // Re-seals a version-1 row in the current form, if it still holds `legacy`.
  absl::Status Reseal(const CaKeyRecord& key, const std::string& legacy);

  db::PgPool* const pool_;
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_POSTGRES_CA_KEY_STORE_H_
