// The gRPC adapter of jit.auth.v1.AuthService: each method unpacks the call and hands the
// logic to common/server's UnaryHandler, which finds the caller (the project method table,
// the same check the per-call gate made) and converts the status once. No rule lives here.
//
// Service enrolment by join token lives in the ca service (jit.ca.v1.CaService/JoinService).
#ifndef JIT_SERVICES_AUTH_AUTH_SERVICE_IMPL_H_
#define JIT_SERVICES_AUTH_AUTH_SERVICE_IMPL_H_

#include "common/auth/call_authorizer.h"
#include "common/server/unary_handler.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "services/auth/login_manager.h"
#include "services/auth/session_manager.h"
#include "services/auth/signing_key_ring.h"
#include "services/auth/user_administration.h"
#include "services/policy/client/permission_checker.h"

namespace jit::auth {

struct AuthServiceParts {
  const CallAuthorizer* authorizer = nullptr;
  LoginManager* logins = nullptr;
  SessionManager* sessions = nullptr;
  UserAdministration* users = nullptr;
  SigningKeyRing* keys = nullptr;
  policy::PermissionChecker* permissions = nullptr;
};

// Thread-safe; borrows the parts.
class AuthServiceImpl final : public jit::auth::v1::AuthService::Service {
 public:
  explicit AuthServiceImpl(AuthServiceParts parts)
      : p_(parts),
        handler_(server::UnaryHandler::For<v1::AuthService>(
            server::AuthorizedCaller(*parts.authorizer))) {}

  using Ctx = grpc::ServerContext;
  grpc::Status Login(Ctx*, const v1::LoginRequest*, v1::LoginResponse*) override;
  grpc::Status WhoAmI(Ctx*, const v1::WhoAmIRequest*, v1::WhoAmIResponse*) override;
  grpc::Status Logout(Ctx*, const v1::LogoutRequest*, v1::LogoutResponse*) override;
  grpc::Status GetJwks(Ctx*, const v1::GetJwksRequest*, v1::GetJwksResponse*) override;
  grpc::Status BeginOidcLogin(Ctx*, const v1::BeginOidcLoginRequest*,
                              v1::BeginOidcLoginResponse*) override;
  grpc::Status CompleteOidcLogin(Ctx*, const v1::CompleteOidcLoginRequest*,
                                 v1::LoginResponse*) override;
  grpc::Status CreateUser(Ctx*, const v1::CreateUserRequest*, v1::User*) override;
  grpc::Status GetUser(Ctx*, const v1::GetUserRequest*, v1::User*) override;
  grpc::Status ListUsers(Ctx*, const v1::ListUsersRequest*, v1::ListUsersResponse*) override;
  grpc::Status UpdateUser(Ctx*, const v1::UpdateUserRequest*, v1::User*) override;
  grpc::Status DeleteUser(Ctx*, const v1::DeleteUserRequest*, v1::DeleteUserResponse*) override;
  grpc::Status SetPassword(Ctx*, const v1::SetPasswordRequest*, v1::SetPasswordResponse*) override;
  grpc::Status EnrollTotp(Ctx*, const v1::EnrollTotpRequest*, v1::EnrollTotpResponse*) override;
  grpc::Status ResetTotp(Ctx*, const v1::ResetTotpRequest*, v1::ResetTotpResponse*) override;
  grpc::Status ConfirmTotp(Ctx*, const v1::ConfirmTotpRequest*, v1::ConfirmTotpResponse*) override;
  grpc::Status RotateSigningKey(Ctx*, const v1::RotateSigningKeyRequest*,
                                v1::RotateSigningKeyResponse*) override;
  grpc::Status ListRevokedSessions(Ctx*, const v1::ListRevokedSessionsRequest*,
                                   v1::ListRevokedSessionsResponse*) override;

 private:
  const AuthServiceParts p_;
  const server::UnaryHandler handler_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_AUTH_SERVICE_IMPL_H_
