// A UserAuthClient for unit tests of the jit CLI: each method answers what the test set and
// records its requests (common/client/testing/fake_rpc.h); unset methods fail with
// UNIMPLEMENTED.
#ifndef JIT_SERVICES_AUTH_CLIENT_TESTING_FAKE_USER_AUTH_CLIENT_H_
#define JIT_SERVICES_AUTH_CLIENT_TESTING_FAKE_USER_AUTH_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/auth/client/user_auth_client.h"

namespace jit::auth::testing {

class FakeUserAuthClient final : public UserAuthClient {
 public:
  client::testing::FakeRpc<v1::LoginRequest, v1::LoginResponse> login{"Login"};
  client::testing::FakeRpc<v1::WhoAmIRequest, v1::WhoAmIResponse> whoami{"WhoAmI"};
  client::testing::FakeRpc<v1::LogoutRequest, v1::LogoutResponse> logout{"Logout"};

  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& r) override {
    return login.Call(r);
  }
  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override { return whoami.Call({}); }
  absl::StatusOr<v1::LogoutResponse> Logout() override { return logout.Call({}); }
};

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_CLIENT_TESTING_FAKE_USER_AUTH_CLIENT_H_
