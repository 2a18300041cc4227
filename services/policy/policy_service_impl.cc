#include "services/policy/policy_service_impl.h"

#include <string_view>
#include <utility>

#include "common/grpc_status.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::jit::common::v1::Role;

// The one conversion from the logic's result to the reply and status of a call.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response, std::string_view method) {
  if (!result.ok()) return ToGrpcStatus(result.status(), method);
  *response = *std::move(result);
  return grpc::Status::OK;
}

// Runs a role RPC for the authenticated caller.
template <typename T, typename Fn>
grpc::Status ForCaller(const CallerIdentityFn& caller_identity,
                       const grpc::ServerContext& context, T* response, std::string_view method,
                       Fn&& fn) {
  absl::StatusOr<Identity> caller = caller_identity(context, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), method);
  return Reply<T>(fn(*caller), response, method);
}

}  // namespace

grpc::Status PolicyServiceImpl::UpsertRole(grpc::ServerContext* context,
                                           const pb::UpsertRoleRequest* request, Role* response) {
  return ForCaller(caller_identity_, *context, response, "/jit.policy.v1.PolicyService/UpsertRole",
                   [&](const Identity& caller) { return roles_->UpsertRole(caller, *request); });
}

grpc::Status PolicyServiceImpl::GetRole(grpc::ServerContext* context,
                                        const pb::GetRoleRequest* request, Role* response) {
  return ForCaller(caller_identity_, *context, response, "/jit.policy.v1.PolicyService/GetRole",
                   [&](const Identity& caller) { return roles_->GetRole(caller, *request); });
}

grpc::Status PolicyServiceImpl::ListRoles(grpc::ServerContext* context,
                                          const pb::ListRolesRequest* request,
                                          pb::ListRolesResponse* response) {
  return ForCaller(caller_identity_, *context, response, "/jit.policy.v1.PolicyService/ListRoles",
                   [&](const Identity& caller) { return roles_->ListRoles(caller, *request); });
}

grpc::Status PolicyServiceImpl::DeleteRole(grpc::ServerContext* context,
                                           const pb::DeleteRoleRequest* request,
                                           pb::DeleteRoleResponse* response) {
  return ForCaller(caller_identity_, *context, response, "/jit.policy.v1.PolicyService/DeleteRole",
                   [&](const Identity& caller) { return roles_->DeleteRole(caller, *request); });
}

grpc::Status PolicyServiceImpl::CheckRequest(grpc::ServerContext* /*context*/,
                                             const pb::CheckRequestRequest* request,
                                             pb::CheckRequestResponse* response) {
  return Reply(engine_->CheckRequest(*request), response, "/jit.policy.v1.PolicyService/CheckRequest");
}

grpc::Status PolicyServiceImpl::CheckReview(grpc::ServerContext* /*context*/,
                                            const pb::CheckReviewRequest* request,
                                            pb::CheckReviewResponse* response) {
  return Reply(engine_->CheckReview(*request), response, "/jit.policy.v1.PolicyService/CheckReview");
}

grpc::Status PolicyServiceImpl::ComputeCertParams(grpc::ServerContext* /*context*/,
                                                  const pb::ComputeCertParamsRequest* request,
                                                  pb::ComputeCertParamsResponse* response) {
  return Reply(engine_->ComputeCertParams(*request), response, "/jit.policy.v1.PolicyService/ComputeCertParams");
}

grpc::Status PolicyServiceImpl::CheckAccess(grpc::ServerContext* /*context*/,
                                            const pb::CheckAccessRequest* request,
                                            pb::CheckAccessResponse* response) {
  // The hot path: written straight into the reply gRPC owns.
  absl::Status status = engine_->CheckAccess(*request, response);
  if (!status.ok()) response->Clear();
  return ToGrpcStatus(status, "/jit.policy.v1.PolicyService/CheckAccess");
}

grpc::Status PolicyServiceImpl::CheckPermission(grpc::ServerContext* /*context*/,
                                                const pb::CheckPermissionRequest* request,
                                                pb::CheckPermissionResponse* response) {
  return Reply(engine_->CheckPermission(*request), response, "/jit.policy.v1.PolicyService/CheckPermission");
}

}  // namespace jit::policy
