#include "services/auth/auth_service_impl.h"

#include "services/auth/signing_key_rpcs.h"

namespace jit::auth {

grpc::Status AuthServiceImpl::Login(Ctx* ctx, const v1::LoginRequest* request,
                                    v1::LoginResponse* response) {
  return handler_.Run(*ctx, __func__, response,
                      [&](const server::Caller& c) { return p_.logins->Login(*request, c.actor); });
}

grpc::Status AuthServiceImpl::WhoAmI(Ctx* ctx, const v1::WhoAmIRequest*,
                                     v1::WhoAmIResponse* response) {
  return handler_.Run(*ctx, __func__, response,
                      [&](const server::Caller& c) -> absl::StatusOr<v1::WhoAmIResponse> {
                        v1::WhoAmIResponse out;
                        *out.mutable_identity() = c.identity;
                        return out;
                      });
}

grpc::Status AuthServiceImpl::Logout(Ctx* ctx, const v1::LogoutRequest* request,
                                     v1::LogoutResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.sessions->Logout(c.identity, request->session_id(), c.actor);
  });
}

grpc::Status AuthServiceImpl::GetJwks(Ctx* ctx, const v1::GetJwksRequest* request,
                                      v1::GetJwksResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&] { return auth::GetJwks(*p_.keys); });
}

grpc::Status AuthServiceImpl::BeginOidcLogin(Ctx* ctx, const v1::BeginOidcLoginRequest* request,
                                             v1::BeginOidcLoginResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&] { return p_.logins->BeginOidc(*request); });
}

grpc::Status AuthServiceImpl::CompleteOidcLogin(Ctx* ctx,
                                                const v1::CompleteOidcLoginRequest* request,
                                                v1::LoginResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.logins->CompleteOidc(*request, c.actor);
  });
}

grpc::Status AuthServiceImpl::CreateUser(Ctx* ctx, const v1::CreateUserRequest* request,
                                         v1::User* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->CreateUser(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::GetUser(Ctx* ctx, const v1::GetUserRequest* request,
                                      v1::User* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->GetUser(c.identity, *request);
  });
}

grpc::Status AuthServiceImpl::ListUsers(Ctx* ctx, const v1::ListUsersRequest* request,
                                        v1::ListUsersResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->ListUsers(c.identity, *request);
  });
}

grpc::Status AuthServiceImpl::UpdateUser(Ctx* ctx, const v1::UpdateUserRequest* request,
                                         v1::User* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->UpdateUser(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::DeleteUser(Ctx* ctx, const v1::DeleteUserRequest* request,
                                         v1::DeleteUserResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->DeleteUser(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::SetPassword(Ctx* ctx, const v1::SetPasswordRequest* request,
                                          v1::SetPasswordResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->SetPassword(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::EnrollTotp(Ctx* ctx, const v1::EnrollTotpRequest* request,
                                         v1::EnrollTotpResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->EnrollTotp(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::ConfirmTotp(Ctx* ctx, const v1::ConfirmTotpRequest* request,
                                          v1::ConfirmTotpResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->ConfirmTotp(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::ResetTotp(Ctx* ctx, const v1::ResetTotpRequest* request,
                                        v1::ResetTotpResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return p_.users->ResetTotp(c.identity, *request, c.actor);
  });
}

grpc::Status AuthServiceImpl::RotateSigningKey(Ctx* ctx, const v1::RotateSigningKeyRequest* request,
                                               v1::RotateSigningKeyResponse* response) {
  return handler_.Run(*ctx, __func__, response, [&](const server::Caller& c) {
    return auth::RotateSigningKey(c.identity, *p_.permissions, *p_.keys, c.actor);
  });
}

grpc::Status AuthServiceImpl::ListRevokedSessions(Ctx* ctx,
                                                  const v1::ListRevokedSessionsRequest* request,
                                                  v1::ListRevokedSessionsResponse* response) {
  return handler_.Run(*ctx, __func__, response,
                      [&] { return p_.sessions->ListRevoked(request->after_cursor()); });
}

}  // namespace jit::auth
