// PermissionChecker over PolicyService.CheckPermission: an mTLS call with the peer's
// deadline, as this service (any service may call CheckPermission).
//
// Mapping: allowed -> OK; not allowed -> PERMISSION_DENIED "<verb> <resource>: <policy's
// explanation>"; policy down, too slow or unreachable -> UNAVAILABLE; any other answer
// (policy refusing our identity, an unknown resource or verb, UNIMPLEMENTED) -> INTERNAL,
// logged: a deployment fault, never an allow.
#ifndef JIT_SERVICES_AUTH_POLICY_PERMISSION_CHECKER_H_
#define JIT_SERVICES_AUTH_POLICY_PERMISSION_CHECKER_H_

#include <memory>

#include "common/client/peer.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/auth/permission_checker.h"

namespace jit::auth {

// Thread-safe; borrows the peer.
class PolicyPermissionChecker final : public PermissionChecker {
 public:
  explicit PolicyPermissionChecker(const client::PeerClient* policy);

  absl::Status Check(const jit::common::v1::Identity& caller, std::string_view resource,
                     std::string_view verb) override;

 private:
  const client::PeerClient* const policy_;
  std::unique_ptr<jit::policy::v1::PolicyService::Stub> stub_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_POLICY_PERMISSION_CHECKER_H_
