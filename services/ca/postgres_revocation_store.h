// RevocationStore over the ca schema's issued_certs (revoke_time, revoke_reason) and
// revocation_lists tables (migrations/0002_ca.sql, 0003_revocation.sql), with the audit
// event in the schema's audit_outbox in the same transaction as the revocation.
// Publish reads without locks when the list is unchanged (the common case: every host
// polls); only a changed or due list locks its revocation_lists row and bumps the number,
// so two replicas publishing at once agree on one number.
// Thread-safe; borrows the pool.
#ifndef JIT_SERVICES_CA_POSTGRES_REVOCATION_STORE_H_
#define JIT_SERVICES_CA_POSTGRES_REVOCATION_STORE_H_

#include "common/db/pg_pool.h"
#include "services/ca/revocation_store.h"

namespace jit::ca {

class PostgresRevocationStore final : public RevocationStore {
 public:
  explicit PostgresRevocationStore(db::PgPool* pool) : pool_(pool) {}

  absl::StatusOr<RevokeResult> Revoke(const RevokeSelection& selection, absl::Time now,
                                      const std::string& reason, MakeEvent make_event) override;
  absl::StatusOr<PublishedRevocations> Publish(CaKind kind, absl::Time now,
                                               absl::Duration reissue_after) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_POSTGRES_REVOCATION_STORE_H_
