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
  client::testing::FakeRpc<v1::CreateUserRequest, v1::User> create_user{"CreateUser"};
  client::testing::FakeRpc<v1::ListUsersRequest, v1::ListUsersResponse> list_users{"ListUsers"};
  client::testing::FakeRpc<v1::DeleteUserRequest, v1::DeleteUserResponse> delete_user{"DeleteUser"};
  client::testing::FakeRpc<v1::SetPasswordRequest, v1::SetPasswordResponse> set_password{
      "SetPassword"};
  client::testing::FakeRpc<v1::EnrollTotpRequest, v1::EnrollTotpResponse> enroll_totp{"EnrollTotp"};
  client::testing::FakeRpc<v1::ConfirmTotpRequest, v1::ConfirmTotpResponse> confirm_totp{
      "ConfirmTotp"};

  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& r) override {
    return login.Call(r);
  }
  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override { return whoami.Call({}); }
  absl::StatusOr<v1::LogoutResponse> Logout() override { return logout.Call({}); }
  absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& r) override {
    return create_user.Call(r);
  }
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const v1::ListUsersRequest& r) override {
    return list_users.Call(r);
  }
  absl::StatusOr<v1::DeleteUserResponse> DeleteUser(const v1::DeleteUserRequest& r) override {
    return delete_user.Call(r);
  }
  absl::StatusOr<v1::SetPasswordResponse> SetPassword(const v1::SetPasswordRequest& r) override {
    return set_password.Call(r);
  }
  absl::StatusOr<v1::EnrollTotpResponse> EnrollTotp(const v1::EnrollTotpRequest& r) override {
    return enroll_totp.Call(r);
  }
  absl::StatusOr<v1::ConfirmTotpResponse> ConfirmTotp(const v1::ConfirmTotpRequest& r) override {
    return confirm_totp.Call(r);
  }
};

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_CLIENT_TESTING_FAKE_USER_AUTH_CLIENT_H_
