// ServiceOutboxRelay: the one line with which a service ships its audit outbox
// (<schema>.audit_outbox) to the audit service, in every replica:
//
//   ASSIGN_OR_RETURN(p->audit_relay, audit::ServiceOutboxRelay::Start(runtime, "policy"));
//
// It builds a PeerClient "audit" toward runtime.config.peers.audit (--audit_addr) with the
// runtime's deadline (--rpc_timeout) and this service's certificate, a GrpcAuditClient on
// it and an OutboxRelay (outbox_relay.h: claims with SKIP LOCKED, per-source order, jittered
// back-off while the sink is down, gauges, cleanup of delivered rows), and starts it in the
// background. Declare it last among the app's parts, so that it stops first.
//
// With --audit_addr= (empty) there is no sink: Start returns null, logs that the relay is
// off, and events wait in the outbox (nothing is lost or deleted) until a replica runs with
// an audit address again.
// Errors: INVALID_ARGUMENT for bad options; INTERNAL when the thread cannot start.
// Thread-safe; borrows the runtime's pool, clock, registry and TLS material.
#ifndef JIT_COMMON_AUDIT_SERVICE_OUTBOX_RELAY_H_
#define JIT_COMMON_AUDIT_SERVICE_OUTBOX_RELAY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/audit/outbox_relay.h"
#include "common/client/peer.h"
#include "common/server/service_main.h"
#include "services/audit/client/grpc_audit_client.h"

namespace jit::audit {

class ServiceOutboxRelay {
 public:
  // `options.schema` is set to `schema`. Null (relay off) when peers.audit is empty.
  static absl::StatusOr<std::unique_ptr<ServiceOutboxRelay>> Start(server::ServiceRuntime& runtime,
                                                                   const std::string& schema,
                                                                   OutboxRelayOptions options = {});

  OutboxRelay& relay() { return *relay_; }

 private:
  explicit ServiceOutboxRelay(server::ServiceRuntime& runtime);

  client::PeerClient peer_;
  GrpcAuditClient client_;
  std::unique_ptr<OutboxRelay> relay_;  // last: stopped before the client goes
};

}  // namespace jit::audit

#endif  // JIT_COMMON_AUDIT_SERVICE_OUTBOX_RELAY_H_
