// IngestEvents: validates a batch (event_validation.h) and appends it to the chain
// (EventStore::Append: dedupe by id, all or nothing, durable), with a signed checkpoint of
// the new head in the same transaction when one is due. A service sends only its own events: every
// event's `service` must be the calling service's name.
//
// Errors: INVALID_ARGUMENT for a bad event or batch, PERMISSION_DENIED for an event of
// another service (nothing of the batch is stored either way); the store's
// errors (UNAVAILABLE: retry; UNKNOWN: the batch may be stored, retrying is safe). A
// checkpoint that cannot be signed does not fail the ingest (it is logged and retried on the
// next append or tick).
// Thread-safe; borrows its collaborators.
#ifndef JIT_SERVICES_AUDIT_EVENT_INGESTOR_H_
#define JIT_SERVICES_AUDIT_EVENT_INGESTOR_H_

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jit/audit/v1/audit.pb.h"
#include "services/audit/checkpointer.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

class EventIngestor {
 public:
  // `checkpointer` may be null (no checkpoints).
  EventIngestor(EventStore* store, Checkpointer* checkpointer, const Clock* clock)
      : store_(store), checkpointer_(checkpointer), clock_(clock) {}

  // `caller_service`: the authenticated service ("auth" for spiffe://jit-access/service/auth).
  absl::StatusOr<jit::audit::v1::IngestEventsResponse> Ingest(
      std::string_view caller_service, const jit::audit::v1::IngestEventsRequest& request);

 private:
  EventStore* const store_;
  Checkpointer* const checkpointer_;
  const Clock* const clock_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EVENT_INGESTOR_H_
