// PermissionChecker over the policy service's CheckPermission (services/policy/client), as
// this service (any service may call CheckPermission).
//
// Mapping: allowed -> OK; not allowed -> PERMISSION_DENIED "<verb> <resource>: <policy's
// explanation>"; policy down, too slow or unreachable -> UNAVAILABLE; any other answer
// (policy refusing our identity, an unknown resource or verb, UNIMPLEMENTED) -> INTERNAL,
// logged: a deployment fault, never an allow.
#ifndef JIT_SERVICES_POLICY_CLIENT_POLICY_PERMISSION_CHECKER_H_
#define JIT_SERVICES_POLICY_CLIENT_POLICY_PERMISSION_CHECKER_H_

#include "services/policy/client/permission_checker.h"
#include "services/policy/client/policy_client.h"

namespace jit::policy {

// Thread-safe; borrows the client.
class PolicyPermissionChecker final : public PermissionChecker {
 public:
  explicit PolicyPermissionChecker(PolicyClient* policy) : policy_(policy) {}

  absl::Status Check(const jit::common::v1::Identity& caller, std::string_view resource,
                     std::string_view verb) override;

 private:
  PolicyClient* const policy_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_CLIENT_POLICY_PERMISSION_CHECKER_H_
