// A UserRequestsClient for unit tests of the jit CLI: each method answers what the test set
// and records its requests (common/client/testing/fake_rpc.h); unset methods fail with
// UNIMPLEMENTED.
#ifndef JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_USER_REQUESTS_CLIENT_H_
#define JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_USER_REQUESTS_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/requests/client/user_requests_client.h"

namespace jit::requests::testing {

class FakeUserRequestsClient final : public UserRequestsClient {
 public:
  client::testing::FakeRpc<v1::CreateRequestRequest, common::v1::AccessRequest> create{
      "CreateRequest"};
  client::testing::FakeRpc<v1::GetRequestRequest, common::v1::AccessRequest> get{"GetRequest"};
  client::testing::FakeRpc<v1::ListRequestsRequest, v1::ListRequestsResponse> list{"ListRequests"};
  client::testing::FakeRpc<v1::ReviewRequestRequest, common::v1::AccessRequest> review{
      "ReviewRequest"};
  client::testing::FakeRpc<v1::CancelRequestRequest, common::v1::AccessRequest> cancel{
      "CancelRequest"};
  client::testing::FakeRpc<v1::RevokeGrantRequest, common::v1::Grant> revoke{"RevokeGrant"};

  absl::StatusOr<common::v1::AccessRequest> CreateRequest(
      const v1::CreateRequestRequest& r) override {
    return create.Call(r);
  }
  absl::StatusOr<common::v1::AccessRequest> GetRequest(const v1::GetRequestRequest& r) override {
    return get.Call(r);
  }
  absl::StatusOr<v1::ListRequestsResponse> ListRequests(const v1::ListRequestsRequest& r) override {
    return list.Call(r);
  }
  absl::StatusOr<common::v1::AccessRequest> ReviewRequest(
      const v1::ReviewRequestRequest& r) override {
    return review.Call(r);
  }
  absl::StatusOr<common::v1::AccessRequest> CancelRequest(
      const v1::CancelRequestRequest& r) override {
    return cancel.Call(r);
  }
  absl::StatusOr<common::v1::Grant> RevokeGrant(const v1::RevokeGrantRequest& r) override {
    return revoke.Call(r);
  }
};

}  // namespace jit::requests::testing

#endif  // JIT_SERVICES_REQUESTS_CLIENT_TESTING_FAKE_USER_REQUESTS_CLIENT_H_
