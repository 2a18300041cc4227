// A RequestsClient for unit tests of the services that call requests (the ca): each method
// answers what the test set and records its requests; a method with no answer set fails
// with UNIMPLEMENTED (no grant). See common/client/testing/fake_rpc.h.
#ifndef JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_REQUESTS_CLIENT_H_
#define JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_REQUESTS_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/requests/client/requests_client.h"

namespace jit::requests::testing {

class FakeRequestsClient final : public RequestsClient {
 public:
  client::testing::FakeRpc<v1::ListActiveGrantsRequest, v1::ListActiveGrantsResponse>
      list_active_grants{"ListActiveGrants"};

  absl::StatusOr<v1::ListActiveGrantsResponse> ListActiveGrants(
      const v1::ListActiveGrantsRequest& request) override {
    return list_active_grants.Call(request);
  }
};

}  // namespace jit::requests::testing

#endif  // JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_REQUESTS_CLIENT_H_
