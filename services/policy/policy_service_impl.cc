#include "services/policy/policy_service_impl.h"

namespace jit::policy {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Role;
using ::jit::server::Caller;

PolicyServiceImpl::PolicyServiceImpl(const PolicyEngine* engine, RoleAdministration* roles,
                                     server::CallerIdentityFn caller_identity,
                                     ReviewRuleAdministration* review_rules)
    : engine_(engine),
      roles_(roles),
      review_rules_(review_rules),
      handler_(server::UnaryHandler::For<pb::PolicyService>(std::move(caller_identity))) {}

grpc::Status PolicyServiceImpl::UpsertRole(grpc::ServerContext* context,
                                           const pb::UpsertRoleRequest* request, Role* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return roles_->UpsertRole(caller.identity, *request, caller.actor);
  });
}

grpc::Status PolicyServiceImpl::GetRole(grpc::ServerContext* context,
                                        const pb::GetRoleRequest* request, Role* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return roles_->GetRole(caller.identity, *request);
  });
}

grpc::Status PolicyServiceImpl::ListRoles(grpc::ServerContext* context,
                                          const pb::ListRolesRequest* request,
                                          pb::ListRolesResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return roles_->ListRoles(caller.identity, *request);
  });
}

grpc::Status PolicyServiceImpl::DeleteRole(grpc::ServerContext* context,
                                           const pb::DeleteRoleRequest* request,
                                           pb::DeleteRoleResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return roles_->DeleteRole(caller.identity, *request, caller.actor);
  });
}

grpc::Status PolicyServiceImpl::CheckRequest(grpc::ServerContext* context,
                                             const pb::CheckRequestRequest* request,
                                             pb::CheckRequestResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&] { return engine_->CheckRequest(*request); });
}

grpc::Status PolicyServiceImpl::CheckReview(grpc::ServerContext* context,
                                            const pb::CheckReviewRequest* request,
                                            pb::CheckReviewResponse* response) {
  return handler_.Run(*context, __func__, response, [&] { return engine_->CheckReview(*request); });
}

grpc::Status PolicyServiceImpl::ComputeCertParams(grpc::ServerContext* context,
                                                  const pb::ComputeCertParamsRequest* request,
                                                  pb::ComputeCertParamsResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&] { return engine_->ComputeCertParams(*request); });
}

grpc::Status PolicyServiceImpl::CheckAccess(grpc::ServerContext* context,
                                            const pb::CheckAccessRequest* request,
                                            pb::CheckAccessResponse* response) {
  // The hot path: written straight into the reply gRPC owns.
  return handler_.Run(*context, __func__, response, [&](pb::CheckAccessResponse* out) {
    return engine_->CheckAccess(*request, out);
  });
}

grpc::Status PolicyServiceImpl::CheckPermission(grpc::ServerContext* context,
                                                const pb::CheckPermissionRequest* request,
                                                pb::CheckPermissionResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&] { return engine_->CheckPermission(*request); });
}

namespace {
absl::Status NoReviewRules() {
  return absl::UnimplementedError("review rules are not served by this policy server");
}
}  // namespace

grpc::Status PolicyServiceImpl::UpsertReviewRule(grpc::ServerContext* context,
                                                 const pb::UpsertReviewRuleRequest* request,
                                                 pb::AccessReviewRule* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<pb::AccessReviewRule> {
                        if (review_rules_ == nullptr) return NoReviewRules();
                        return review_rules_->UpsertReviewRule(caller.identity, *request,
                                                               caller.actor);
                      });
}

grpc::Status PolicyServiceImpl::GetReviewRule(grpc::ServerContext* context,
                                              const pb::GetReviewRuleRequest* request,
                                              pb::AccessReviewRule* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<pb::AccessReviewRule> {
                        if (review_rules_ == nullptr) return NoReviewRules();
                        return review_rules_->GetReviewRule(caller.identity, *request);
                      });
}

grpc::Status PolicyServiceImpl::ListReviewRules(grpc::ServerContext* context,
                                                const pb::ListReviewRulesRequest* request,
                                                pb::ListReviewRulesResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<pb::ListReviewRulesResponse> {
                        if (review_rules_ == nullptr) return NoReviewRules();
                        return review_rules_->ListReviewRules(caller.identity, *request);
                      });
}

grpc::Status PolicyServiceImpl::DeleteReviewRule(grpc::ServerContext* context,
                                                 const pb::DeleteReviewRuleRequest* request,
                                                 pb::DeleteReviewRuleResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<pb::DeleteReviewRuleResponse> {
                        if (review_rules_ == nullptr) return NoReviewRules();
                        return review_rules_->DeleteReviewRule(caller.identity, *request,
                                                               caller.actor);
                      });
}

grpc::Status PolicyServiceImpl::EvaluateReviewRules(grpc::ServerContext* context,
                                                    const pb::EvaluateReviewRulesRequest* request,
                                                    pb::EvaluateReviewRulesResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&]() -> absl::StatusOr<pb::EvaluateReviewRulesResponse> {
                        if (review_rules_ == nullptr) return NoReviewRules();
                        return review_rules_->Evaluate(*request);
                      });
}

}  // namespace jit::policy
