// PolicyServiceImpl: the gRPC adapter of jit.policy.v1.PolicyService. It unpacks each call,
// asks the logic (PolicyEngine for the decisions, RoleAdministration for the role RPCs) and
// converts the status in one place (jit::ToGrpcStatus). No rule lives here.
//
// Who may call what is decided before a handler runs, by the server's authentication and
// its per-method table (decisions: the services; role RPCs: people). The role RPCs also need
// the caller's identity for CheckPermission: the adapter reads it through `caller_identity`,
// its only source (jit::auth::AuthorizeServerCall in production); an error there ends the
// call with that error.
// Thread-safe; engine and roles are borrowed and must outlive the service.
#ifndef JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_
#define JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_

#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "jit/common/v1/identity.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/policy/policy_engine.h"
#include "services/policy/role_administration.h"

namespace jit::policy {

// The authenticated caller of a call to `full_method` ("/jit.policy.v1.PolicyService/GetRole"):
// UNAUTHENTICATED when there is none, PERMISSION_DENIED when it may not call the method.
using CallerIdentityFn = std::function<absl::StatusOr<jit::common::v1::Identity>(
    const grpc::ServerContext& context, std::string_view full_method)>;

class PolicyServiceImpl final : public jit::policy::v1::PolicyService::Service {
 public:
  PolicyServiceImpl(const PolicyEngine* engine, RoleAdministration* roles,
                    CallerIdentityFn caller_identity)
      : engine_(engine), roles_(roles), caller_identity_(std::move(caller_identity)) {}

  grpc::Status UpsertRole(grpc::ServerContext* context,
                          const jit::policy::v1::UpsertRoleRequest* request,
                          jit::common::v1::Role* response) override;
  grpc::Status GetRole(grpc::ServerContext* context, const jit::policy::v1::GetRoleRequest* request,
                       jit::common::v1::Role* response) override;
  grpc::Status ListRoles(grpc::ServerContext* context,
                         const jit::policy::v1::ListRolesRequest* request,
                         jit::policy::v1::ListRolesResponse* response) override;
  grpc::Status DeleteRole(grpc::ServerContext* context,
                          const jit::policy::v1::DeleteRoleRequest* request,
                          jit::policy::v1::DeleteRoleResponse* response) override;

  grpc::Status CheckRequest(grpc::ServerContext* context,
                            const jit::policy::v1::CheckRequestRequest* request,
                            jit::policy::v1::CheckRequestResponse* response) override;
  grpc::Status CheckReview(grpc::ServerContext* context,
                           const jit::policy::v1::CheckReviewRequest* request,
                           jit::policy::v1::CheckReviewResponse* response) override;
  grpc::Status ComputeCertParams(grpc::ServerContext* context,
                                 const jit::policy::v1::ComputeCertParamsRequest* request,
                                 jit::policy::v1::ComputeCertParamsResponse* response) override;
  grpc::Status CheckAccess(grpc::ServerContext* context,
                           const jit::policy::v1::CheckAccessRequest* request,
                           jit::policy::v1::CheckAccessResponse* response) override;
  grpc::Status CheckPermission(grpc::ServerContext* context,
                               const jit::policy::v1::CheckPermissionRequest* request,
                               jit::policy::v1::CheckPermissionResponse* response) override;

 private:
  const PolicyEngine* const engine_;
  RoleAdministration* const roles_;
  const CallerIdentityFn caller_identity_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_
