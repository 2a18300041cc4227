// The audit service's read side as the RPCs see it: who may search, verify, list
// checkpoints and export, and then the logic that does it (EventSearch, ChainVerifier,
// EventExport, the checkpoint store).
//
// Authorisation (after the method table admitted the caller): a person needs the policy's
// permission on resource "audit_event" - verb "list" for SearchEvents, "read" for
// VerifyChain and ListCheckpoints, "export" for ExportEvents; a service the method table
// admits (for ExportEvents the SIEM shipper "audit-export") needs nothing more. Refused:
// PERMISSION_DENIED naming the verb;
// policy unreachable: UNAVAILABLE (never an allow). GetCheckpointKeys is public.
// ListCheckpoints pages like the other lists (page_size 0 = 100, at most 1000; the token
// is the sequence to continue below, base64url).
// Thread-safe; borrows its collaborators.
#ifndef JIT_SERVICES_AUDIT_AUDIT_QUERIES_H_
#define JIT_SERVICES_AUDIT_AUDIT_QUERIES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jit/audit/v1/audit.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/audit/chain_verifier.h"
#include "services/audit/event_export.h"
#include "services/audit/event_search.h"
#include "services/audit/storage/event_store.h"
#include "services/policy/client/permission_checker.h"

namespace jit::audit {

class AuditQueries {
 public:
  struct Parts {
    EventSearch* search = nullptr;
    ChainVerifier* verifier = nullptr;
    EventExport* exporter = nullptr;
    CheckpointStore* checkpoints = nullptr;
    policy::PermissionChecker* permissions = nullptr;
    // The checkpoint keys, the signing one first.
    std::vector<v1::CheckpointKey> keys;
  };
  explicit AuditQueries(Parts parts) : p_(std::move(parts)) {}

  absl::StatusOr<v1::SearchEventsResponse> Search(const jit::common::v1::Identity& caller,
                                                  const v1::SearchEventsRequest& request);
  absl::StatusOr<v1::VerifyChainResponse> Verify(const jit::common::v1::Identity& caller,
                                                 const v1::VerifyChainRequest& request);
  absl::StatusOr<v1::ListCheckpointsResponse> ListCheckpoints(
      const jit::common::v1::Identity& caller, const v1::ListCheckpointsRequest& request);
  v1::GetCheckpointKeysResponse CheckpointKeys() const;
  // Authorises, then streams through EventExport::Export.
  absl::Status Export(const jit::common::v1::Identity& caller,
                      const v1::ExportEventsRequest& request,
                      const std::function<bool(const v1::ExportEventsResponse&)>& write,
                      const std::function<bool()>& cancelled);

 private:
  absl::Status Authorize(const jit::common::v1::Identity& caller, std::string_view verb);

  const Parts p_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_AUDIT_QUERIES_H_
