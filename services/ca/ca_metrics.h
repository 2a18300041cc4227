// The ca service's own metrics (labels bounded by the enums below):
//   jit_ca_certs_issued_total{kind="ssh-user|ssh-host|x509-user",
//                             result="issued|refused|invalid|error"}
//   jit_ca_signing_seconds{kind}   building, signing and encoding one certificate
//   jit_ca_refusals_total{reason="principal|ttl|grant|mfa|db_user|db_name|group|role|
//                                 permission|expired_session"}
// Thread-safe. Every series exists (at 0) from construction.
#ifndef JIT_SERVICES_CA_CA_METRICS_H_
#define JIT_SERVICES_CA_CA_METRICS_H_

#include <array>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/ca/ca_kind.h"

namespace jit::ca {

// issued; refused: PERMISSION_DENIED (policy, grants, MFA, TTL); invalid: INVALID_ARGUMENT;
// error: anything else (a peer or the database down, a signing failure).
enum class IssueResult { kIssued = 0, kRefused = 1, kInvalid = 2, kError = 3 };
IssueResult IssueResultOf(const absl::Status& status);

enum class RefusalReason {
  kPrincipal = 0,
  kTtl,
  kGrant,
  kMfa,
  kDbUser,
  kDbName,
  kGroup,
  kRole,
  kPermission,
  kExpiredSession,
};
inline constexpr int kRefusalReasons = 10;

class CaMetrics {
 public:
  explicit CaMetrics(prometheus::Registry& registry);

  void RecordIssue(CaKind kind, IssueResult result);
  void RecordSigning(CaKind kind, absl::Duration elapsed);
  void RecordRefusal(RefusalReason reason);

  // For tests.
  double issued(CaKind kind, IssueResult result) const;
  double refusals(RefusalReason reason) const;
  uint64_t signings(CaKind kind) const;

 private:
  std::array<std::array<prometheus::Counter*, 4>, kAllCaKinds.size()> issued_;
  std::array<prometheus::Histogram*, kAllCaKinds.size()> signing_;
  std::array<prometheus::Counter*, kRefusalReasons> refusals_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_METRICS_H_
