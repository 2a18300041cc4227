// The role-management RPCs on behalf of an authenticated caller: each asks
// PolicyEngine::CheckPermission for the verb on resource `role` (GetRole read, ListRoles list,
// DeleteRole delete, UpsertRole create or update), then calls RoleCatalog. A caller holding
// only one of create/update has the write pinned to what was checked (absent, or at the seen
// revision): a concurrent change gives ABORTED. Only people manage roles: a non-KIND_USER
// caller is PERMISSION_DENIED, a nameless one UNAUTHENTICATED. Refusals are
// PERMISSION_DENIED naming the verb and the explanation; catalog errors pass unchanged. The
// caller is recorded as updated_by "user:<name>" and as the audit actor. Thread-safe;
// catalog and engine are borrowed.
#ifndef JIT_SERVICES_POLICY_ROLE_ADMINISTRATION_H_
#define JIT_SERVICES_POLICY_ROLE_ADMINISTRATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "jit/common/v1/identity.pb.h"
#include "jit/common/v1/role.pb.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/policy_engine.h"
#include "services/policy/role_catalog.h"

namespace jit::policy {

class RoleAdministration {
 public:
  RoleAdministration(RoleCatalog* catalog, const PolicyEngine* engine)
      : catalog_(catalog), engine_(engine) {}

  absl::StatusOr<jit::common::v1::Role> UpsertRole(
      const jit::common::v1::Identity& caller, const jit::policy::v1::UpsertRoleRequest& request,
      const audit::AuditActor& actor);
  absl::StatusOr<jit::common::v1::Role> GetRole(const jit::common::v1::Identity& caller,
                                                const jit::policy::v1::GetRoleRequest& request);
  absl::StatusOr<jit::policy::v1::ListRolesResponse> ListRoles(
      const jit::common::v1::Identity& caller, const jit::policy::v1::ListRolesRequest& request);
  absl::StatusOr<jit::policy::v1::DeleteRoleResponse> DeleteRole(
      const jit::common::v1::Identity& caller, const jit::policy::v1::DeleteRoleRequest& request,
      const audit::AuditActor& actor);

 private:
  // OK if `caller` may perform `verb` on roles; PERMISSION_DENIED / UNAUTHENTICATED if not.
  absl::Status Authorize(const jit::common::v1::Identity& caller, absl::string_view verb) const;
  // Whether the caller may; an error only for a decision that could not be made.
  absl::StatusOr<bool> Allowed(const jit::common::v1::Identity& caller, absl::string_view verb,
                               std::string* why) const;

  RoleCatalog* const catalog_;
  const PolicyEngine* const engine_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_ADMINISTRATION_H_
