// Enrollment: join tokens and what redeeming them gives (issue 11).
//
// - CreateJoinToken (people with `cert_authority: create`): kind host|service, 1-32 allowed
//   names, TTL (default 1 h, at most 24 h). The token is returned once; only its hash is
//   stored. Audited as join_token.create.
// - EnrollHost (no credentials; the token proves): a kind=host token whose allowed names
//   include every requested principal. Gives an OpenSSH host certificate for the host's own
//   key and an X.509 client identity spiffe://jit-access/host/<first principal> from the
//   internal CA; records the enrolled host for RenewHost.
// - JoinService (no credentials): a kind=service token naming the service. Gives the mTLS
//   certificate spiffe://jit-access/service/<name> from the internal CA.
// - RenewHost (a host's identity certificate): the enrolled principals, the enrolled host key.
// Redemption is rate-limited (RedemptionLimiter: RESOURCE_EXHAUSTED) and single use
// (JoinStore::Redeem). A malformed token is INVALID_ARGUMENT; an unknown, used or expired
// one PERMISSION_DENIED "join token refused: <why>"; one of the wrong kind or for names
// outside its allowed set FAILED_PRECONDITION "join token refused: <why>". A refusal
// changes nothing and is audited as join_token.refuse; a success as join_token.redeem.
// Without an internal CA (never imported) EnrollHost/JoinService/RenewHost are
// FAILED_PRECONDITION before any token is touched.
// Thread-safe: borrows everything; holds no mutable state of its own.
#ifndef JIT_SERVICES_CA_JOIN_ENROLLMENT_H_
#define JIT_SERVICES_CA_JOIN_ENROLLMENT_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/clock.h"
#include "common/pki/x509_ca.h"
#include "common/server/unary_handler.h"
#include "common/ssh/public_key.h"
#include "jit/ca/v1/ca.pb.h"
#include "services/ca/join/join_store.h"
#include "services/ca/join/redemption_limiter.h"
#include "services/policy/client/permission_checker.h"

namespace jit::ca::join {

struct EnrollmentOptions {
  absl::Duration default_token_ttl = absl::Hours(1);
  absl::Duration max_token_ttl = absl::Hours(24);
  // Of host certificates and host identities (issued and renewed).
  absl::Duration host_cert_ttl = absl::Hours(24 * 30);
  // Of service certificates from JoinService.
  absl::Duration service_cert_ttl = absl::Hours(24 * 30);
};

inline constexpr int kMaxAllowedNames = 32;

// Signs and records an OpenSSH host certificate (CertIssuer::IssueHostSshCert in production).
using HostCertSigner = std::function<absl::StatusOr<v1::SignHostSshCertResponse>(
    const ssh::SshPublicKey& key, const std::vector<std::string>& principals, absl::Duration ttl,
    std::string_view owner, const audit::AuditActor& actor)>;

class Enrollment {
 public:
  // All pointers are borrowed and must outlive this; `internal_ca` may be null (no CA yet).
  Enrollment(JoinStore* store, HostCertSigner host_signer,
             const pki::CertificateAuthority* internal_ca, policy::PermissionChecker* permissions,
             audit::AuditOutbox* refusals, RedemptionLimiter* limiter, const Clock* clock,
             EnrollmentOptions options = {});

  absl::StatusOr<v1::CreateJoinTokenResponse> CreateJoinToken(
      const server::Caller& caller, const v1::CreateJoinTokenRequest& request) const;
  absl::StatusOr<v1::EnrollHostResponse> EnrollHost(const server::Caller& caller,
                                                    const v1::EnrollHostRequest& request) const;
  absl::StatusOr<v1::JoinServiceResponse> JoinService(const server::Caller& caller,
                                                      const v1::JoinServiceRequest& request) const;
  absl::StatusOr<v1::RenewHostResponse> RenewHost(const server::Caller& caller,
                                                  const v1::RenewHostRequest& request) const;

 private:
  // Redeems `token` for `kind` and `names` as `redeemed_as`; audits a refusal.
  absl::StatusOr<JoinTokenRecord> Redeem(const server::Caller& caller, std::string_view token,
                                         v1::JoinTokenKind kind,
                                         const std::vector<std::string>& names,
                                         std::string_view redeemed_as,
                                         const std::optional<EnrolledHost>& host) const;
  absl::Status Refused(const server::Caller& caller, std::string_view token_id,
                       absl::Status refusal) const;
  absl::StatusOr<std::string> IssueHostIdentity(std::string_view name, EVP_PKEY* key,
                                                absl::Time now) const;

  JoinStore* const store_;
  const HostCertSigner host_signer_;
  const pki::CertificateAuthority* const internal_ca_;
  policy::PermissionChecker* const permissions_;
  audit::AuditOutbox* const refusals_;
  RedemptionLimiter* const limiter_;
  const Clock* const clock_;
  const EnrollmentOptions options_;
};

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_ENROLLMENT_H_
