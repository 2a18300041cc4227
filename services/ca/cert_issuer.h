// CertIssuer: the certificate authority's decisions. It turns the caller's session (its
// identity, verified from the token before the call reaches here), the roles of the active
// grants it names and policy's ComputeCertParams into short-lived certificates, records each
// one with its cert.issue audit event in one transaction, and answers what peers must trust.
//
// Rules (issue 10):
// - Bad input is INVALID_ARGUMENT naming the field, before any peer is asked: nothing is
//   signed or recorded.
// - Grants named must be returned by requests' ListActiveGrants for the caller, be active,
//   not revoked, started and not ended; roles = the session's roles plus the grants'.
// - Whatever goes beyond what policy allows is PERMISSION_DENIED naming it (principal, db
//   user, db name, group, TTL); roles requiring MFA need an MFA session.
// - valid_after = now - 1 min; valid_before = min(now + requested TTL, now + policy's
//   max_ttl, every grant's end, the session's expiry); a TTL above max_ttl is refused.
// - A peer that is down is UNAVAILABLE (fail closed); a failed record hands nothing out.
// - A refusal (PERMISSION_DENIED, INVALID_ARGUMENT) is audited: cert.issue with outcome
//   denied (resp. failure), the kind, the code and the reason; nothing else is recorded.
// Host certificates need `cert_authority: create` (PermissionChecker); listing other
// people's certificates needs `cert_authority: list` (without it an unfiltered list shows
// the caller's own).
// Thread-safe: borrows everything; holds no mutable state.
#ifndef JIT_SERVICES_CA_CERT_ISSUER_H_
#define JIT_SERVICES_CA_CERT_ISSUER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "common/ssh/public_key.h"
#include "jit/ca/v1/ca.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/ca/ca_keyring.h"
#include "services/ca/ca_metrics.h"
#include "services/ca/issued_cert_store.h"
#include "services/policy/client/permission_checker.h"
#include "services/policy/client/policy_client.h"
#include "services/requests/client/requests_client.h"

namespace jit::ca {

struct CertIssuerOptions {
  // valid_after = now - backdate (clock skew between the CA and servers).
  absl::Duration backdate = absl::Minutes(1);
  // Validity of host certificates when the request names none, and their upper bound.
  absl::Duration host_cert_ttl = absl::Hours(24 * 30);
};

inline constexpr int kMaxGrantIds = 16;
inline constexpr size_t kMaxGrantIdSize = 128;

class CertIssuer {
 public:
  // All pointers are borrowed and must outlive the issuer.
  CertIssuer(const CaKeyring* keyring, IssuedCertStore* store, policy::PolicyClient* policy,
             requests::RequestsClient* requests, policy::PermissionChecker* permissions,
             const Clock* clock, CaMetrics* metrics, CertIssuerOptions options = {});

  using Identity = jit::common::v1::Identity;

  absl::StatusOr<v1::SignUserSshCertResponse> SignUserSshCert(
      const Identity& caller, const audit::AuditActor& actor,
      const v1::SignUserSshCertRequest& request) const;
  absl::StatusOr<v1::SignHostSshCertResponse> SignHostSshCert(
      const Identity& caller, const audit::AuditActor& actor,
      const v1::SignHostSshCertRequest& request) const;
  absl::StatusOr<v1::SignUserX509CertResponse> SignUserX509Cert(
      const Identity& caller, const audit::AuditActor& actor,
      const v1::SignUserX509CertRequest& request) const;
  // Signs and records a host certificate for `key` and `principals` (non-empty, unique,
  // already checked by the caller) valid for `ttl`, recorded with user = `owner`. No
  // permission check: SignHostSshCert's, or a redeemed join token (join/enrollment.h).
  absl::StatusOr<v1::SignHostSshCertResponse> IssueHostSshCert(
      const ssh::SshPublicKey& key, const std::vector<std::string>& principals, absl::Duration ttl,
      std::string_view owner, const audit::AuditActor& actor) const;
  // Public: what sshd, ssh and PostgreSQL must trust.
  absl::StatusOr<v1::GetCaPublicKeysResponse> GetCaPublicKeys(
      const v1::GetCaPublicKeysRequest& request) const;
  absl::StatusOr<v1::ListIssuedCertsResponse> ListIssuedCerts(
      const Identity& caller, const v1::ListIssuedCertsRequest& request) const;

  // What the session and its grants allow (internal; public for the .cc's helpers).
  struct Entitlement {
    std::vector<std::string> roles;
    std::vector<std::string> grant_ids;
    jit::policy::v1::CertParams params;
    absl::Time not_after;  // the earliest of the session's expiry and the grants' ends
  };

 private:
  absl::StatusOr<Entitlement> Entitle(const Identity& caller,
                                      const std::vector<std::string>& grant_ids,
                                      absl::Time now) const;
  absl::Status Refuse(RefusalReason reason, std::string message) const;
  // Audits a refused signing request (see above); a failure to do so is logged only.
  void AuditRefusal(const Identity& caller, const audit::AuditActor& actor, CaKind kind,
                    const absl::Status& status) const;
  // Records `cert` with its cert.issue event.
  absl::Status RecordIssued(const jit::common::v1::IssuedCertificate& cert,
                            const audit::AuditActor& actor, absl::Time now,
                            const std::vector<std::string>& roles) const;

  const CaKeyring* const keyring_;
  IssuedCertStore* const store_;
  policy::PolicyClient* const policy_;
  requests::RequestsClient* const requests_;
  policy::PermissionChecker* const permissions_;
  const Clock* const clock_;
  CaMetrics* const metrics_;
  const CertIssuerOptions options_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CERT_ISSUER_H_
