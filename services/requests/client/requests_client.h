// RequestsClient: how other services ask the requests service about grants. Interface here,
// the gRPC implementation in grpc_requests_client.h, a fake for unit tests in
// testing/fake_requests_client.h.
//
// Every method returns the requests service's answer or an error, never both: UNAVAILABLE
// when it is down, unreachable or slower than the deadline (retryable); INTERNAL for a
// deployment fault (our service identity refused, or a server with another identity
// answered); other codes as the requests service returned them. Callers fail closed: no
// answer means no grant. Implementations are thread-safe.
#ifndef JIT_SERVICES_REQUESTS_CLIENT_REQUESTS_CLIENT_H_
#define JIT_SERVICES_REQUESTS_CLIENT_REQUESTS_CLIENT_H_

#include "absl/status/statusor.h"
#include "jit/requests/v1/requests.pb.h"

namespace jit::requests {

class RequestsClient {
 public:
  virtual ~RequestsClient() = default;

  // For the ca: one page of the grants in force (or starting later) of a user, optionally
  // only the given grant ids.
  virtual absl::StatusOr<v1::ListActiveGrantsResponse> ListActiveGrants(
      const v1::ListActiveGrantsRequest& request) = 0;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_CLIENT_REQUESTS_CLIENT_H_
