// PolicyServiceImpl: the gRPC adapter of jit.policy.v1.PolicyService. Each method unpacks
// the call and hands the logic (PolicyEngine for the decisions, RoleAdministration for the
// role RPCs) to common/server's UnaryHandler, which converts the status in one place. No
// rule lives here.
//
// Who may call what is decided before a handler runs, by the server's authentication and
// its per-method table (decisions: the services; role RPCs: people). The role RPCs also need
// the caller's identity for CheckPermission: the handler reads it through `caller_identity`,
// its only source (server::AuthorizedCaller in production); an error there ends the call
// with that error.
// The review rule RPCs go to `review_rules` (UNIMPLEMENTED when it is null).
// Thread-safe; engine, roles and review_rules are borrowed and must outlive the service.
#ifndef JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_
#define JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_

#include "common/server/unary_handler.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/policy/policy_engine.h"
#include "services/policy/review_rules/review_rule_administration.h"
#include "services/policy/role_administration.h"

namespace jit::policy {

class PolicyServiceImpl final : public jit::policy::v1::PolicyService::Service {
 public:
  PolicyServiceImpl(const PolicyEngine* engine, RoleAdministration* roles,
                    server::CallerIdentityFn caller_identity,
                    ReviewRuleAdministration* review_rules = nullptr);

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

  grpc::Status UpsertReviewRule(grpc::ServerContext* context,
                                const jit::policy::v1::UpsertReviewRuleRequest* request,
                                jit::policy::v1::AccessReviewRule* response) override;
  grpc::Status GetReviewRule(grpc::ServerContext* context,
                             const jit::policy::v1::GetReviewRuleRequest* request,
                             jit::policy::v1::AccessReviewRule* response) override;
  grpc::Status ListReviewRules(grpc::ServerContext* context,
                               const jit::policy::v1::ListReviewRulesRequest* request,
                               jit::policy::v1::ListReviewRulesResponse* response) override;
  grpc::Status DeleteReviewRule(grpc::ServerContext* context,
                                const jit::policy::v1::DeleteReviewRuleRequest* request,
                                jit::policy::v1::DeleteReviewRuleResponse* response) override;
  grpc::Status EvaluateReviewRules(grpc::ServerContext* context,
                                   const jit::policy::v1::EvaluateReviewRulesRequest* request,
                                   jit::policy::v1::EvaluateReviewRulesResponse* response) override;

 private:
  const PolicyEngine* const engine_;
  RoleAdministration* const roles_;
  ReviewRuleAdministration* const review_rules_;
  const server::UnaryHandler handler_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POLICY_SERVICE_IMPL_H_
