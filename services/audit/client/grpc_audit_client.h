// AuditClient over gRPC: an mTLS call to jit-audit as this service (the PeerClient's channel
// verifies that the server is the audit service; only service identities may ingest) with
// the peer's deadline (--rpc_timeout), its status mapped once by PeerClient::ToStatus.
// Thread-safe; the peer is borrowed and must outlive the client.
#ifndef JIT_SERVICES_AUDIT_CLIENT_GRPC_AUDIT_CLIENT_H_
#define JIT_SERVICES_AUDIT_CLIENT_GRPC_AUDIT_CLIENT_H_

#include <memory>

#include "common/client/peer.h"
#include "jit/audit/v1/audit.grpc.pb.h"
#include "services/audit/client/audit_client.h"

namespace jit::audit {

class GrpcAuditClient final : public AuditClient {
 public:
  // `peer` is named "audit" and points at --audit_addr.
  explicit GrpcAuditClient(const client::PeerClient* peer)
      : peer_(peer), stub_(v1::AuditService::NewStub(peer->channel())) {}

  absl::StatusOr<v1::IngestEventsResponse> IngestEvents(
      const v1::IngestEventsRequest& request) override {
    return peer_->Call(*stub_, &v1::AuditService::Stub::IngestEvents, request);
  }

 private:
  const client::PeerClient* const peer_;
  const std::unique_ptr<v1::AuditService::Stub> stub_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_CLIENT_GRPC_AUDIT_CLIENT_H_
