// Calling another jit-access service: an mTLS channel that accepts only that service, a
// deadline on every call, and one mapping of transport failures to the caller's status.
// Services call each other through the typed clients beside the service they call
// (services/<name>/client/), which are built on this:
//
//   PeerClient policy("policy", address, tls, absl::Seconds(2));
//   auto stub = jit::policy::v1::PolicyService::NewStub(policy.channel());
//   absl::StatusOr<CheckAccessResponse> r =
//       policy.Call(*stub, &PolicyService::Stub::CheckAccess, request);
//
// A peer that is down or too slow gives UNAVAILABLE (retryable), never a crash or a hang.
//
// Replicas: `address` may list several ("host:port,host:port": each host resolved once, to
// IPv4, at construction) or be "dns:///name:port" (every address the name resolves to,
// re-resolved as gRPC does: a Kubernetes headless Service). Calls are then spread round robin
// over the replicas that are up, and the peer's idempotent methods (Get*, List*, Search*,
// Check*, Verify*, WhoAmI, ComputeCertParams) are retried on UNAVAILABLE, at most 3
// attempts within the call's deadline, so that losing one replica loses no read.
// The channel (PeerChannelCredentials, peer_credentials.h) verifies during the TLS handshake
// that the server's certificate chains to our CA bundle, names the host dialled and carries
// exactly the SPIFFE ID spiffe://jit-access/service/<name>; any other server is refused
// before a request byte is sent.
#ifndef JIT_COMMON_CLIENT_PEER_H_
#define JIT_COMMON_CLIENT_PEER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/tls.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/channel_arguments.h"

namespace jit::client {

// The gRPC target and channel arguments PeerClient uses for `address` (above) to reach the
// service `name`: round robin and the retry policy for lists and dns:/// targets, the
// project's limits for all.
struct PeerTarget {
  std::string target;
  grpc::ChannelArguments args;
};
PeerTarget PeerTargetFor(const std::string& name, const std::string& address);

// gRPC service config retrying `service_full_name`'s idempotent methods (above) on
// UNAVAILABLE; "" when the service is not in the generated descriptor pool.
std::string IdempotentRetryServiceConfig(const std::string& service_full_name);

class PeerClient {
 public:
  // `name` is the peer's service name ("policy"): the identity its certificate must carry,
  // and its name in errors. `address` is "host:port", a list of them or "dns:///host:port"
  // (above). The channel connects lazily, so a peer that is down at start-up is not an
  // error. With a list, the TLS host name checked is the first entry's host.
  PeerClient(std::string name, const std::string& address, const server::TlsMaterial& tls,
             absl::Duration timeout);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A fresh context whose deadline is now + timeout.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  // Maps a call's status for returning to our own caller:
  //  - UNAVAILABLE / DEADLINE_EXCEEDED (peer down, unreachable, too slow) -> UNAVAILABLE
  //    "<name> service unavailable: ...";
  //  - UNAUTHENTICATED from the peer (our service identity refused) -> INTERNAL, since it
  //    is a deployment fault, not the end user's;
  //  - the server at `address` is not `name` (its certificate carries another service's
  //    identity) -> INTERNAL "<name> service at <address> presented the wrong identity
  //    (peer identity mismatch: expected <uri>, found <uri>)": also a deployment fault,
  //    which retrying does not fix;
  //  - other codes pass through unchanged.
  absl::Status ToStatus(const grpc::Status& status) const;

  // One unary call with a fresh deadline, its status mapped by ToStatus. A failed call
  // returns only the status, never a partial response.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) const {
    Response response;
    std::unique_ptr<grpc::ClientContext> ctx = NewContext();
    absl::Status status = ToStatus((stub.*method)(ctx.get(), request, &response));
    if (!status.ok()) return status;
    return response;
  }

  const std::string& name() const { return name_; }
  absl::Duration timeout() const { return timeout_; }

 private:
  const std::string name_;
  const std::string address_;
  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace jit::client

#endif  // JIT_COMMON_CLIENT_PEER_H_
