// An AuditClient for unit tests of the outbox relay: IngestEvents answers what the test set
// (a reply, UNAVAILABLE for a sink that is down, ...) and records every batch; with no
// answer set it fails with UNIMPLEMENTED. See common/client/testing/fake_rpc.h.
#ifndef JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_AUDIT_CLIENT_H_
#define JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_AUDIT_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/audit/client/audit_client.h"

namespace jit::audit::testing {

class FakeAuditClient final : public AuditClient {
 public:
  client::testing::FakeRpc<v1::IngestEventsRequest, v1::IngestEventsResponse> ingest_events{
      "IngestEvents"};

  absl::StatusOr<v1::IngestEventsResponse> IngestEvents(
      const v1::IngestEventsRequest& request) override {
    return ingest_events.Call(request);
  }
};

}  // namespace jit::audit::testing

#endif  // JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_AUDIT_CLIENT_H_
