// IssuedCertStore over the ca schema's issued_certs table (migrations/0002_ca.sql), with
// the audit event in the schema's audit_outbox in the same transaction. Principals and grant
// ids are text[] columns (written through string_to_array on the unit separator, which no
// principal or grant id may contain). Page tokens are the row sequence number.
// Thread-safe; borrows the pool.
#ifndef JIT_SERVICES_CA_POSTGRES_ISSUED_CERT_STORE_H_
#define JIT_SERVICES_CA_POSTGRES_ISSUED_CERT_STORE_H_

#include "common/db/pg_pool.h"
#include "services/ca/issued_cert_store.h"

namespace jit::ca {

class PostgresIssuedCertStore final : public IssuedCertStore {
 public:
  explicit PostgresIssuedCertStore(db::PgPool* pool) : pool_(pool) {}

  absl::Status Record(const jit::common::v1::IssuedCertificate& cert, absl::Time issue_time,
                      const jit::common::v1::AuditEvent& event) override;
  absl::Status RecordRefusal(const jit::common::v1::AuditEvent& event) override;
  absl::StatusOr<IssuedCertPage> List(const IssuedCertFilter& filter, int page_size,
                                      std::string_view page_token) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_POSTGRES_ISSUED_CERT_STORE_H_
