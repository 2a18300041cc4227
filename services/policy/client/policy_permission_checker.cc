#include "services/policy/client/policy_permission_checker.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::policy {

absl::Status PolicyPermissionChecker::Check(const jit::common::v1::Identity& caller,
                                            std::string_view resource, std::string_view verb) {
  jit::policy::v1::CheckPermissionRequest request;
  *request.mutable_identity() = caller;
  request.set_resource(std::string(resource));
  request.set_verb(std::string(verb));
  absl::StatusOr<jit::policy::v1::CheckPermissionResponse> response =
      policy_->CheckPermission(request);
  if (absl::IsUnavailable(response.status())) return response.status();
  if (!response.ok()) {
    spdlog::error("permission check {} {} for user={} failed: {}", std::string(verb),
                  std::string(resource), LogSafe(caller.name()),
                  LogSafe(response.status().ToString(), 256));
    return absl::InternalError(
        absl::StrCat("permission check failed: ", response.status().ToString()));
  }
  if (!response->allowed()) {
    return absl::PermissionDeniedError(absl::StrCat(std::string(verb), " ", std::string(resource),
                                                    ": ", response->explanation().summary()));
  }
  return absl::OkStatus();
}

}  // namespace jit::policy
