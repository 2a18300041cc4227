#include "services/auth/policy_permission_checker.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {

PolicyPermissionChecker::PolicyPermissionChecker(const client::PeerClient* policy)
    : policy_(policy), stub_(jit::policy::v1::PolicyService::NewStub(policy->channel())) {}

absl::Status PolicyPermissionChecker::Check(const jit::common::v1::Identity& caller,
                                            std::string_view resource, std::string_view verb) {
  jit::policy::v1::CheckPermissionRequest request;
  *request.mutable_identity() = caller;
  request.set_resource(std::string(resource));
  request.set_verb(std::string(verb));
  jit::policy::v1::CheckPermissionResponse response;
  auto ctx = policy_->NewContext();
  absl::Status s = policy_->ToStatus(stub_->CheckPermission(ctx.get(), request, &response));
  if (absl::IsUnavailable(s)) return s;
  if (!s.ok()) {
    spdlog::error("permission check {} {} for user={} failed: {}", std::string(verb),
                  std::string(resource), LogSafe(caller.name()), LogSafe(s.ToString(), 256));
    return absl::InternalError(absl::StrCat("permission check failed: ", s.ToString()));
  }
  if (!response.allowed()) {
    return absl::PermissionDeniedError(absl::StrCat(std::string(verb), " ", std::string(resource),
                                                    ": ", response.explanation().summary()));
  }
  return absl::OkStatus();
}

}  // namespace jit::auth
