// Whether a caller may use an administrative verb (create a user, rotate the signing key,
// end someone else's session). The decision belongs to the policy service
// (PolicyService.CheckPermission over the caller's roles); the logic asks through this
// interface. Fails closed: anything but an explicit allow refuses.
#ifndef JIT_SERVICES_POLICY_CLIENT_PERMISSION_CHECKER_H_
#define JIT_SERVICES_POLICY_CLIENT_PERMISSION_CHECKER_H_

#include <string_view>

#include "absl/status/status.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::policy {

// Thread-safe.
class PermissionChecker {
 public:
  virtual ~PermissionChecker() = default;
  // OK when allowed; PERMISSION_DENIED (with the reason) when not; UNAVAILABLE when the
  // decision cannot be had now (the caller may retry); INTERNAL for a broken deployment.
  virtual absl::Status Check(const jit::common::v1::Identity& caller, std::string_view resource,
                             std::string_view verb) = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_CLIENT_PERMISSION_CHECKER_H_
