#include "services/policy/policy_engine.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "services/policy/decisions.h"
#include "spdlog/spdlog.h"

namespace jit::policy {

namespace pb = ::jit::policy::v1;

bool PolicyEngine::HookAllows(absl::string_view decision, const google::protobuf::Message& request,
                              pb::Explanation* explanation) const {
  if (hook_ == nullptr) return true;
  HookInput input;
  input.decision = decision;
  input.request = &request;
  input.local_explanation = explanation;
  absl::StatusOr<HookVerdict> verdict = hook_->Evaluate(input);
  std::string why;
  if (!verdict.ok()) {
    spdlog::warn("policy hook failed decision={} code={} error={}", std::string(decision),
                 absl::StatusCodeToString(verdict.status().code()),
                 LogSafe(std::string(verdict.status().message()), 256));
    why = absl::StrCat("the external decision hook failed (",
                       absl::StatusCodeToString(verdict.status().code()), ": ",
                       verdict.status().message(), "); failing closed");
  } else if (!verdict->allow) {
    why = absl::StrCat("the external decision hook denied",
                       verdict->reason.empty() ? "" : absl::StrCat(": ", verdict->reason));
  } else {
    pb::RuleMatch* m = explanation->add_matches();
    m->set_side("allow");
    m->set_field("external_hook");
    m->set_matched(true);
    m->set_detail(verdict->reason);
    return true;
  }
  pb::RuleMatch* m = explanation->add_matches();
  m->set_side("deny");
  m->set_field("external_hook");
  m->set_matched(true);
  m->set_detail(why);
  explanation->set_summary(
      absl::StrCat("denied: ", why, " (locally: ", explanation->summary(), ")"));
  return false;
}

absl::StatusOr<pb::CheckAccessResponse> PolicyEngine::CheckAccess(
    const pb::CheckAccessRequest& request) const {
  pb::CheckAccessResponse response;
  if (absl::Status s = CheckAccess(request, &response); !s.ok()) return s;
  return response;
}

absl::Status PolicyEngine::CheckAccess(const pb::CheckAccessRequest& request,
                                       pb::CheckAccessResponse* response) const {
  std::shared_ptr<const RoleSnapshot> snapshot = snapshots_->Get();
  absl::Status status = policy::CheckAccess(*snapshot, request, clock_->Now(), response);
  if (status.ok() && response->allowed() &&
      !HookAllows("check_access", request, response->mutable_explanation())) {
    response->set_allowed(false);
  }
  return status;
}

absl::StatusOr<pb::CheckRequestResponse> PolicyEngine::CheckRequest(
    const pb::CheckRequestRequest& request) const {
  std::shared_ptr<const RoleSnapshot> snapshot = snapshots_->Get();
  absl::StatusOr<pb::CheckRequestResponse> response =
      policy::CheckRequest(*snapshot, request, clock_->Now());
  if (response.ok() && response->allowed() &&
      !HookAllows("check_request", request, response->mutable_explanation())) {
    response->set_allowed(false);
    response->clear_max_duration();
    response->clear_request_ttl();
    response->clear_thresholds();
    response->clear_suggested_reviewers();
  }
  return response;
}

absl::StatusOr<pb::CheckReviewResponse> PolicyEngine::CheckReview(
    const pb::CheckReviewRequest& request) const {
  std::shared_ptr<const RoleSnapshot> snapshot = snapshots_->Get();
  absl::StatusOr<pb::CheckReviewResponse> response =
      policy::CheckReview(*snapshot, request, clock_->Now());
  if (response.ok() && response->allowed() &&
      !HookAllows("check_review", request, response->mutable_explanation())) {
    response->set_allowed(false);
    response->clear_matching_thresholds();
  }
  return response;
}

absl::StatusOr<pb::ComputeCertParamsResponse> PolicyEngine::ComputeCertParams(
    const pb::ComputeCertParamsRequest& request) const {
  std::shared_ptr<const RoleSnapshot> snapshot = snapshots_->Get();
  return policy::ComputeCertParams(*snapshot, request, clock_->Now());
}

absl::StatusOr<pb::CheckPermissionResponse> PolicyEngine::CheckPermission(
    const pb::CheckPermissionRequest& request) const {
  std::shared_ptr<const RoleSnapshot> snapshot = snapshots_->Get();
  absl::StatusOr<pb::CheckPermissionResponse> response =
      policy::CheckPermission(*snapshot, request, clock_->Now());
  if (response.ok() && response->allowed() &&
      !HookAllows("check_permission", request, response->mutable_explanation())) {
    response->set_allowed(false);
  }
  return response;
}

}  // namespace jit::policy
