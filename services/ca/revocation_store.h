// RevocationStore: revocation over the record of issued certificates (PostgreSQL in
// production, postgres_revocation_store.h; an in-memory fake in testing/).
//
// Revoke resolves a selection (serials, each of one kind or of whichever kind recorded it,
// and/or a grant's certificates), marks the selected certificates that are not revoked yet
// as revoked at `now` for `reason`, and writes the audit event `make_event` builds for those
// newly revoked -- all in one transaction, and no event when nothing was newly revoked. An
// unknown serial is NOT_FOUND naming it, a serial recorded under several kinds without a
// kind INVALID_ARGUMENT naming it: then nothing changes. A certificate revoked before keeps
// its first time and reason (revoking again is idempotent).
// Publish returns the revoked certificates of a kind that are still valid at `now`, with the
// list's number and thisUpdate (RevocationListState below). Errors: UNAVAILABLE when the
// store cannot be reached (a caller never serves an empty list then). Thread-safe.
#ifndef JIT_SERVICES_CA_REVOCATION_STORE_H_
#define JIT_SERVICES_CA_REVOCATION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"
#include "services/ca/ca_kind.h"

namespace jit::ca {

struct SerialSelector {
  std::optional<CaKind> kind;  // nullopt = the one kind that recorded it
  std::string serial;
};

struct RevokeSelection {
  std::vector<SerialSelector> serials;
  std::string grant_id;  // "" = none
};

struct RevokedCert {
  CaKind kind = CaKind::kSshUser;
  std::string serial;
  std::string ca_key_id;
  std::string key_id;
  absl::Time valid_before;
  bool revoked = false;
  absl::Time revoke_time;  // when revoked
  std::string revoke_reason;
};

// Selected certificates (serials in selection order, then the grant's by issue order; each
// once), and which of them this call revoked.
struct RevokeResult {
  std::vector<RevokedCert> selected;
  std::vector<RevokedCert> newly_revoked;
};

// A revocation list's content and identity. `number` starts at 1 and grows by one whenever
// the covered set differs from the one of the previous Publish (its digest is kept) or the
// previous thisUpdate is older than `reissue_after`; then this_update = now. Otherwise the
// previous number and thisUpdate are returned, so replicas serve the same list.
struct PublishedRevocations {
  std::vector<RevokedCert> revoked;  // valid_before > now, by serial
  uint64_t number = 0;
  absl::Time this_update;
};

class RevocationStore {
 public:
  virtual ~RevocationStore() = default;

  using MakeEvent = absl::FunctionRef<absl::StatusOr<jit::common::v1::AuditEvent>(
      const std::vector<RevokedCert>& newly_revoked)>;

  virtual absl::StatusOr<RevokeResult> Revoke(const RevokeSelection& selection, absl::Time now,
                                              const std::string& reason, MakeEvent make_event) = 0;

  virtual absl::StatusOr<PublishedRevocations> Publish(CaKind kind, absl::Time now,
                                                       absl::Duration reissue_after) = 0;
};

// The digest Publish compares: SHA-256 (hex) over the serials and revoke times of `revoked`
// in serial order. Shared by the implementations so they agree.
std::string RevokedSetDigest(const std::vector<RevokedCert>& revoked);

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_REVOCATION_STORE_H_
