// RequestsClient over gRPC: an mTLS call to jit-requests as this service (the PeerClient's
// channel verifies that the server is the requests service) with the peer's deadline
// (--rpc_timeout), its status mapped once by PeerClient::ToStatus (requests_client.h lists
// the codes). Thread-safe; the peer is borrowed and must outlive the client.
#ifndef JIT_SERVICES_REQUESTS_CLIENT_GRPC_REQUESTS_CLIENT_H_
#define JIT_SERVICES_REQUESTS_CLIENT_GRPC_REQUESTS_CLIENT_H_

#include <memory>

#include "common/client/peer.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "services/requests/client/requests_client.h"

namespace jit::requests {

class GrpcRequestsClient final : public RequestsClient {
 public:
  // `peer` is named "requests" and points at --requests_addr.
  explicit GrpcRequestsClient(const client::PeerClient* peer)
      : peer_(peer), stub_(v1::RequestsService::NewStub(peer->channel())) {}

  absl::StatusOr<v1::ListActiveGrantsResponse> ListActiveGrants(
      const v1::ListActiveGrantsRequest& request) override {
    return peer_->Call(*stub_, &v1::RequestsService::Stub::ListActiveGrants, request);
  }

 private:
  const client::PeerClient* const peer_;
  const std::unique_ptr<v1::RequestsService::Stub> stub_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_CLIENT_GRPC_REQUESTS_CLIENT_H_
