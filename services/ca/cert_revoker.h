// CertRevoker: the CA's revocation (issue 11). It revokes certificates by serial or by
// grant, serves the revocation lists peers read (an OpenSSH KRL for the SSH kinds, an X.509
// CRL for x509-user), and follows grants revoked in the requests service.
//
// Rules:
// - RevokeCerts: people need policy's `cert_authority: revoke`; of services only requests
//   is admitted (method table). A reason is required; serials are 1-40 digits (decimal for
//   SSH, hex for X.509; letters are lowered), at most kMaxRevokeSerials; bad input is
//   INVALID_ARGUMENT before the store is asked. Unknown serials: NOT_FOUND naming the serial,
//   nothing changes. Revoking again is a no-op that reports the certificates (idempotent).
//   One cert.revoke audit event per call that revokes something, in the same transaction.
// - GetRevocationList: every revoked certificate of the kind still valid now, under the CA
//   key that signed it (a KRL section per trusted SSH CA key; the CRL covers the active
//   X.509 key's certificates). The list number is the store's (replicas agree; it grows
//   when the content changes). A store error is returned as is (UNAVAILABLE when the
//   database is down): never an empty list in its place.
// - FollowRevokedGrants: asks requests for revoked grants whose window has not ended (their
//   certificates may still be valid: certificates end no later than their grants) and
//   revokes their certificates; repeats are no-ops, so a CA that was down catches up.
// Thread-safe: borrows everything; holds no mutable state.
#ifndef JIT_SERVICES_CA_CERT_REVOKER_H_
#define JIT_SERVICES_CA_CERT_REVOKER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "jit/ca/v1/ca.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/ca/ca_keyring.h"
#include "services/ca/revocation_store.h"
#include "services/policy/client/permission_checker.h"
#include "services/requests/client/requests_client.h"

namespace jit::ca {

struct CertRevokerOptions {
  // nextUpdate = thisUpdate + list_validity (the CRL; the KRL has no expiry).
  absl::Duration list_validity = absl::Hours(24);
  // An unchanged list gets a new number and thisUpdate after this (< list_validity), so a
  // served CRL never nears its nextUpdate.
  absl::Duration reissue_after = absl::Hours(1);
};

inline constexpr int kMaxRevokeSerials = 1000;
inline constexpr size_t kMaxRevokeReasonSize = 1024;

class CertRevoker {
 public:
  // All pointers are borrowed and must outlive the revoker.
  CertRevoker(const CaKeyring* keyring, RevocationStore* store,
              policy::PermissionChecker* permissions, requests::RequestsClient* requests,
              const Clock* clock, CertRevokerOptions options = {});

  using Identity = jit::common::v1::Identity;

  absl::StatusOr<v1::RevokeCertsResponse> RevokeCerts(const Identity& caller,
                                                      const audit::AuditActor& actor,
                                                      const v1::RevokeCertsRequest& request) const;
  absl::StatusOr<v1::GetRevocationListResponse> GetRevocationList(
      const v1::GetRevocationListRequest& request) const;

  // One pass over requests' revoked grants; returns how many certificates it revoked.
  // UNAVAILABLE when requests or the store is down (the next pass retries).
  absl::StatusOr<int> FollowRevokedGrants() const;

 private:
  const CaKeyring* const keyring_;
  RevocationStore* const store_;
  policy::PermissionChecker* const permissions_;
  requests::RequestsClient* const requests_;
  const Clock* const clock_;
  const CertRevokerOptions options_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CERT_REVOKER_H_
