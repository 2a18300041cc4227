#include "services/auth/auth_service_impl.h"

#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/grpc_authorizer.h"
#include "common/grpc_status.h"
#include "services/auth/signing_key_rpcs.h"

namespace jit::auth {
namespace {

using jit::common::v1::Identity;

struct Call {
  Identity caller;
  audit::AuditActor actor;
};

// Finds the caller of `method`, runs `fn(call)` (returning absl::Status or StatusOr<Response>)
// and converts the outcome.
template <typename Response, typename Fn>
grpc::Status Handle(const CallAuthorizer& authorizer, const grpc::ServerContext& ctx,
                    std::string_view method, Response* response, Fn&& fn) {
  absl::StatusOr<Identity> caller = AuthorizeServerCall(authorizer, ctx, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), method);
  Call call{.caller = *std::move(caller), .actor = {}};
  call.actor = audit::ActorOf(call.caller, ctx.peer());
  auto result = fn(call);
  if constexpr (std::is_same_v<decltype(result), absl::Status>) {
    return ToGrpcStatus(result, method);
  } else {
    if (!result.ok()) return ToGrpcStatus(result.status(), method);
    *response = *std::move(result);
    return grpc::Status::OK;
  }
}

constexpr char kService[] = "/jit.auth.v1.AuthService/";

}  // namespace

grpc::Status AuthServiceImpl::Login(Ctx* ctx, const v1::LoginRequest* request,
                                    v1::LoginResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "Login"), response,
                [&](const Call& c) { return p_.logins->Login(*request, c.actor); });
}

grpc::Status AuthServiceImpl::WhoAmI(Ctx* ctx, const v1::WhoAmIRequest*,
                                     v1::WhoAmIResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "WhoAmI"), response,
                [&](const Call& c) -> absl::StatusOr<v1::WhoAmIResponse> {
                  v1::WhoAmIResponse out;
                  *out.mutable_identity() = c.caller;
                  return out;
                });
}

grpc::Status AuthServiceImpl::Logout(Ctx* ctx, const v1::LogoutRequest* request,
                                     v1::LogoutResponse* response) {
  return Handle(
      *p_.authorizer, *ctx, absl::StrCat(kService, "Logout"), response,
      [&](const Call& c) { return p_.sessions->Logout(c.caller, request->session_id(), c.actor); });
}

grpc::Status AuthServiceImpl::GetJwks(Ctx* ctx, const v1::GetJwksRequest* request,
                                      v1::GetJwksResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "GetJwks"), response,
                [&](const Call& c) { return auth::GetJwks(*p_.keys); });
}

grpc::Status AuthServiceImpl::BeginOidcLogin(Ctx* ctx, const v1::BeginOidcLoginRequest* request,
                                             v1::BeginOidcLoginResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "BeginOidcLogin"), response,
                [&](const Call& c) { return p_.logins->BeginOidc(*request); });
}

grpc::Status AuthServiceImpl::CompleteOidcLogin(Ctx* ctx,
                                                const v1::CompleteOidcLoginRequest* request,
                                                v1::LoginResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "CompleteOidcLogin"), response,
                [&](const Call& c) { return p_.logins->CompleteOidc(*request, c.actor); });
}

grpc::Status AuthServiceImpl::CreateUser(Ctx* ctx, const v1::CreateUserRequest* request,
                                         v1::User* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "CreateUser"), response,
                [&](const Call& c) { return p_.users->CreateUser(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::GetUser(Ctx* ctx, const v1::GetUserRequest* request,
                                      v1::User* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "GetUser"), response,
                [&](const Call& c) { return p_.users->GetUser(c.caller, *request); });
}

grpc::Status AuthServiceImpl::ListUsers(Ctx* ctx, const v1::ListUsersRequest* request,
                                        v1::ListUsersResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "ListUsers"), response,
                [&](const Call& c) { return p_.users->ListUsers(c.caller, *request); });
}

grpc::Status AuthServiceImpl::UpdateUser(Ctx* ctx, const v1::UpdateUserRequest* request,
                                         v1::User* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "UpdateUser"), response,
                [&](const Call& c) { return p_.users->UpdateUser(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::DeleteUser(Ctx* ctx, const v1::DeleteUserRequest* request,
                                         v1::DeleteUserResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "DeleteUser"), response,
                [&](const Call& c) { return p_.users->DeleteUser(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::SetPassword(Ctx* ctx, const v1::SetPasswordRequest* request,
                                          v1::SetPasswordResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "SetPassword"), response,
                [&](const Call& c) { return p_.users->SetPassword(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::EnrollTotp(Ctx* ctx, const v1::EnrollTotpRequest* request,
                                         v1::EnrollTotpResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "EnrollTotp"), response,
                [&](const Call& c) { return p_.users->EnrollTotp(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::ConfirmTotp(Ctx* ctx, const v1::ConfirmTotpRequest* request,
                                          v1::ConfirmTotpResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "ConfirmTotp"), response,
                [&](const Call& c) { return p_.users->ConfirmTotp(c.caller, *request, c.actor); });
}

grpc::Status AuthServiceImpl::RotateSigningKey(Ctx* ctx, const v1::RotateSigningKeyRequest* request,
                                               v1::RotateSigningKeyResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "RotateSigningKey"), response,
                [&](const Call& c) {
                  return auth::RotateSigningKey(c.caller, *p_.permissions, *p_.keys, c.actor);
                });
}

grpc::Status AuthServiceImpl::ListRevokedSessions(Ctx* ctx,
                                                  const v1::ListRevokedSessionsRequest* request,
                                                  v1::ListRevokedSessionsResponse* response) {
  return Handle(*p_.authorizer, *ctx, absl::StrCat(kService, "ListRevokedSessions"), response,
                [&](const Call& c) { return p_.sessions->ListRevoked(request->after_cursor()); });
}

grpc::Status AuthServiceImpl::JoinService(Ctx*, const v1::JoinServiceRequest*,
                                          v1::JoinServiceResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "JoinService needs one-time join tokens, which no API issues yet");
}

}  // namespace jit::auth
