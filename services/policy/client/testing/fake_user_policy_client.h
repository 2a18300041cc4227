// A UserPolicyClient for unit tests of the jit CLI: each method answers what the test set
// and records its requests (common/client/testing/fake_rpc.h); unset methods fail with
// UNIMPLEMENTED.
#ifndef JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_USER_POLICY_CLIENT_H_
#define JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_USER_POLICY_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/policy/client/user_policy_client.h"

namespace jit::policy::testing {

class FakeUserPolicyClient final : public UserPolicyClient {
 public:
  client::testing::FakeRpc<v1::UpsertRoleRequest, common::v1::Role> upsert{"UpsertRole"};
  client::testing::FakeRpc<v1::GetRoleRequest, common::v1::Role> get{"GetRole"};
  client::testing::FakeRpc<v1::ListRolesRequest, v1::ListRolesResponse> list{"ListRoles"};
  client::testing::FakeRpc<v1::DeleteRoleRequest, v1::DeleteRoleResponse> remove{"DeleteRole"};

  absl::StatusOr<common::v1::Role> UpsertRole(const v1::UpsertRoleRequest& r) override {
    return upsert.Call(r);
  }
  absl::StatusOr<common::v1::Role> GetRole(const v1::GetRoleRequest& r) override {
    return get.Call(r);
  }
  absl::StatusOr<v1::ListRolesResponse> ListRoles(const v1::ListRolesRequest& r) override {
    return list.Call(r);
  }
  absl::StatusOr<v1::DeleteRoleResponse> DeleteRole(const v1::DeleteRoleRequest& r) override {
    return remove.Call(r);
  }
};

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_CLIENT_TESTING_FAKE_USER_POLICY_CLIENT_H_
