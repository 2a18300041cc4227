// AuditClient: how the services' outbox relays hand audit events to the audit service.
// Interface here, the gRPC implementation in grpc_audit_client.h, a fake for unit tests in
// testing/fake_audit_client.h.
//
// IngestEvents stores a batch all or nothing (the sink deduplicates by event id, so a
// batch may be sent again after an error). Errors: UNAVAILABLE when the audit service is
// down, unreachable or slower than the deadline (keep the events and retry); INTERNAL for
// a deployment fault; INVALID_ARGUMENT for a batch the sink refuses. Thread-safe.
#ifndef JIT_SERVICES_AUDIT_CLIENT_AUDIT_CLIENT_H_
#define JIT_SERVICES_AUDIT_CLIENT_AUDIT_CLIENT_H_

#include "absl/status/statusor.h"
#include "jit/audit/v1/audit.pb.h"

namespace jit::audit {

class AuditClient {
 public:
  virtual ~AuditClient() = default;

  virtual absl::StatusOr<v1::IngestEventsResponse> IngestEvents(
      const v1::IngestEventsRequest& request) = 0;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_CLIENT_AUDIT_CLIENT_H_
