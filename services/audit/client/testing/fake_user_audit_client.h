// A UserAuditClient for unit tests of the jit CLI: each method answers what the test set and
// records its requests (common/client/testing/fake_rpc.h); unset methods fail with
// UNIMPLEMENTED.
#ifndef JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_USER_AUDIT_CLIENT_H_
#define JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_USER_AUDIT_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/audit/client/user_audit_client.h"

namespace jit::audit::testing {

class FakeUserAuditClient final : public UserAuditClient {
 public:
  client::testing::FakeRpc<v1::SearchEventsRequest, v1::SearchEventsResponse> search{
      "SearchEvents"};
  client::testing::FakeRpc<v1::VerifyChainRequest, v1::VerifyChainResponse> verify{"VerifyChain"};

  absl::StatusOr<v1::SearchEventsResponse> SearchEvents(const v1::SearchEventsRequest& r) override {
    return search.Call(r);
  }
  absl::StatusOr<v1::VerifyChainResponse> VerifyChain(const v1::VerifyChainRequest& r) override {
    return verify.Call(r);
  }
};

}  // namespace jit::audit::testing

#endif  // JIT_SERVICES_AUDIT_CLIENT_TESTING_FAKE_USER_AUDIT_CLIENT_H_
