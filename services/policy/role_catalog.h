// RoleCatalog: the role-management RPCs (UpsertRole, GetRole, ListRoles, DeleteRole) over a
// RoleStore, and the upkeep of this replica's snapshot.
//
//  - UpsertRole takes a Role proto or a YAML/JSON document, validates it fully (the
//    parser's and ValidateRole's INVALID_ARGUMENT errors), ignores server-managed metadata
//    (revision, update_time, updated_by), writes with the caller's expected_revision
//    (ABORTED on conflict) and refreshes the snapshot, so this replica sees its own write at
//    once. Nothing is written when validation fails.
//  - ListRoles pages by name: page_size 0 = 100, at most 1000; page_token is opaque.
//  - Refresh() rebuilds the snapshot when the store's generation moved, recompiling only
//    roles whose stored content changed (not just their revision: a role deleted and
//    created again starts at revision 1 again, and a hand edit need not bump it).
//    PostgresRoleWatcher calls it on a NOTIFY or a poll tick; a stored role that no longer compiles
//    (a hand edit, or valid only under an older binary) is replaced in the snapshot by a role of
//    its name that denies everything, and logged: dropping it would drop its deny rules and widen
//    its holders' access. A store whose generation went back (restored from a backup) replaces the
//    snapshot outright.
//  - ImportRoles() seeds the store from a --roles_dir: roles that are missing are created,
//    identical ones are left alone, and roles that differ from the stored ones are
//    conflicts: FAILED_PRECONDITION naming them, and nothing is imported.
//  - Every write and delete is audited in the same transaction as the change (the store's
//    contract, role_store.h): "role.upsert" (also for each role ImportRoles creates) and
//    "role.delete", target "role:<name>", by `actor`, details.revision the role's revision.
// Thread-safe. Store, holder and clock are borrowed and must outlive the catalog.
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
