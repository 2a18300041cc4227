// RoleCatalog: the role-management RPCs (UpsertRole, GetRole, ListRoles, DeleteRole) over a
// RoleStore, and the upkeep of this replica's snapshot.
// - UpsertRole validates fully (nothing written on INVALID_ARGUMENT), ignores server-managed
//   metadata, writes with expected_revision (ABORTED on conflict), refreshes the snapshot.
// - Refresh() rebuilds the snapshot when the store's generation moved, recompiling roles whose
//   content changed; a stored role that no longer compiles becomes a deny-everything role of
//   its name (dropping it would drop its deny rules), logged; a generation that went back
//   (backup restore) replaces the snapshot outright.
// - ImportRoles() (--roles_dir) creates missing roles, leaves identical ones, and refuses
//   differing ones as FAILED_PRECONDITION naming them, importing nothing.
// - Writes and deletes are audited in the change's transaction (role.upsert / role.delete).
// Thread-safe; store, holder and clock are borrowed.
#ifndef JIT_SERVICES_POLICY_ROLE_CATALOG_H_
#define JIT_SERVICES_POLICY_ROLE_CATALOG_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "jit/common/v1/role.pb.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/role_snapshot.h"
#include "services/policy/role_store.h"

namespace jit::policy {

class RoleCatalog {
 public:
  RoleCatalog(RoleStore* store, RoleSnapshotHolder* snapshots, const Clock* clock)
      : store_(store), snapshots_(snapshots), clock_(clock) {}

  // `actor.actor` is recorded as metadata.updated_by ("user:alice", "gitops:roles_dir").
  absl::StatusOr<jit::common::v1::Role> UpsertRole(
      const jit::policy::v1::UpsertRoleRequest& request, const audit::AuditActor& actor);
  absl::StatusOr<jit::common::v1::Role> GetRole(
      const jit::policy::v1::GetRoleRequest& request) const;
  absl::StatusOr<jit::policy::v1::ListRolesResponse> ListRoles(
      const jit::policy::v1::ListRolesRequest& request) const;
  absl::StatusOr<jit::policy::v1::DeleteRoleResponse> DeleteRole(
      const jit::policy::v1::DeleteRoleRequest& request, const audit::AuditActor& actor);

  absl::Status Refresh();

  absl::Status ImportRoles(const std::vector<jit::common::v1::Role>& roles,
                           const audit::AuditActor& actor);

 private:
  RoleStore* store_;
  RoleSnapshotHolder* snapshots_;
  const Clock* clock_;
  absl::Mutex refresh_mu_;  // serialises rebuilds
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_CATALOG_H_
