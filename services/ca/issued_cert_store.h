// IssuedCertStore: the record of every certificate the CA signed (PostgreSQL in production,
// postgres_issued_cert_store.h; an in-memory fake in testing/).
//
// Record writes the certificate and its audit event (cert.issue) in one transaction: both
// or neither. List pages newest first; the page token is opaque.
// Errors: UNAVAILABLE when the store cannot be reached; ALREADY_EXISTS when the (kind,
// serial) was recorded before (the caller signs again with a fresh serial); INVALID_ARGUMENT
// for a page token this store did not hand out. Thread-safe.
#ifndef JIT_SERVICES_CA_ISSUED_CERT_STORE_H_
#define JIT_SERVICES_CA_ISSUED_CERT_STORE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"
#include "jit/common/v1/certificate.pb.h"
#include "services/ca/ca_kind.h"

namespace jit::ca {

struct IssuedCertFilter {
  std::string user;      // "" = any
  std::string grant_id;  // "" = any
  std::optional<CaKind> kind;
  std::optional<absl::Time> valid_at;  // valid_after <= t < valid_before
};

struct IssuedCertPage {
  std::vector<jit::common::v1::IssuedCertificate> certs;
  std::string next_page_token;  // "" = last page
};

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

class IssuedCertStore {
 public:
  virtual ~IssuedCertStore() = default;

  // `cert.kind()` names the kind; serial, key id, principals, user, grant ids, fingerprint,
  // validity, CA key id and the certificate are stored.
  virtual absl::Status Record(const jit::common::v1::IssuedCertificate& cert, absl::Time issue_time,
                              const jit::common::v1::AuditEvent& event) = 0;

  // Writes the audit event of a refused certificate (cert.issue with outcome denied or
  // failure) to the outbox; nothing else is stored.
  virtual absl::Status RecordRefusal(const jit::common::v1::AuditEvent& event) = 0;

  // `page_size` in 1..kMaxPageSize.
  virtual absl::StatusOr<IssuedCertPage> List(const IssuedCertFilter& filter, int page_size,
                                              std::string_view page_token) = 0;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_ISSUED_CERT_STORE_H_
