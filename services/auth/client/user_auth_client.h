// UserAuthClient: what a person's client (the jit CLI) asks jit-auth for itself: log in,
// who am I, log out; and, for administrators, the user verbs (jit-auth decides who may).
// GrpcUserAuthClient calls over a client::UserSession (TLS trusting the CA bundle, the session
// token as a bearer; errors as user_session.h says). Unit tests of the CLI use a fake of the
// interface. Implementations are thread-safe.
#ifndef JIT_SERVICES_AUTH_CLIENT_USER_AUTH_CLIENT_H_
#define JIT_SERVICES_AUTH_CLIENT_USER_AUTH_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/client/user_session.h"
#include "jit/auth/v1/auth.grpc.pb.h"

namespace jit::auth {

class UserAuthClient {
 public:
  virtual ~UserAuthClient() = default;
  virtual absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& request) = 0;
  virtual absl::StatusOr<v1::WhoAmIResponse> WhoAmI() = 0;
  // Ends the caller's own session (the token's).
  virtual absl::StatusOr<v1::LogoutResponse> Logout() = 0;
  // Administration (jit user ...).
  virtual absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& request) = 0;
  virtual absl::StatusOr<v1::ListUsersResponse> ListUsers(const v1::ListUsersRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteUserResponse> DeleteUser(
      const v1::DeleteUserRequest& request) = 0;
  virtual absl::StatusOr<v1::SetPasswordResponse> SetPassword(
      const v1::SetPasswordRequest& request) = 0;
  virtual absl::StatusOr<v1::EnrollTotpResponse> EnrollTotp(
      const v1::EnrollTotpRequest& request) = 0;
  virtual absl::StatusOr<v1::ConfirmTotpResponse> ConfirmTotp(
      const v1::ConfirmTotpRequest& request) = 0;
};

class GrpcUserAuthClient final : public UserAuthClient {
 public:
  // `session` is named "auth"; borrowed, must outlive the client.
  explicit GrpcUserAuthClient(const client::UserSession* session)
      : session_(session), stub_(v1::AuthService::NewStub(session->channel())) {}

  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::Login, request);
  }
  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override {
    return session_->Call(*stub_, &v1::AuthService::Stub::WhoAmI, v1::WhoAmIRequest());
  }
  absl::StatusOr<v1::LogoutResponse> Logout() override {
    return session_->Call(*stub_, &v1::AuthService::Stub::Logout, v1::LogoutRequest());
  }
  absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::CreateUser, request);
  }
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const v1::ListUsersRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::ListUsers, request);
  }
  absl::StatusOr<v1::DeleteUserResponse> DeleteUser(const v1::DeleteUserRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::DeleteUser, request);
  }
  absl::StatusOr<v1::SetPasswordResponse> SetPassword(
      const v1::SetPasswordRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::SetPassword, request);
  }
  absl::StatusOr<v1::EnrollTotpResponse> EnrollTotp(const v1::EnrollTotpRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::EnrollTotp, request);
  }
  absl::StatusOr<v1::ConfirmTotpResponse> ConfirmTotp(
      const v1::ConfirmTotpRequest& request) override {
    return session_->Call(*stub_, &v1::AuthService::Stub::ConfirmTotp, request);
  }

 private:
  const client::UserSession* const session_;
  const std::unique_ptr<v1::AuthService::Stub> stub_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_CLIENT_USER_AUTH_CLIENT_H_
