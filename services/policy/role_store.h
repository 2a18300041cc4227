// Where roles are kept: an interface, so that the policy logic never links a database.
// PostgresRoleStore implements it (schema `policy`); testing/in_memory_role_store.h serves
// unit tests.
//
// Revisions: each role carries metadata.revision, 1 when created and +1 on every change.
// The store's generation grows on every write or delete (of any role); replicas poll it
// (or are told through LISTEN/NOTIFY) and rebuild their snapshot when it moves.
//
// Audit: every write and delete takes the audit event that records it and stores it with
// the change, atomically (the audit outbox): both or neither. The store sets the event's
// details.revision to the role's revision after a write (before a delete). An event whose
// id was stored before fails the change with ALREADY_EXISTS.
#ifndef JIT_SERVICES_POLICY_ROLE_STORE_H_
#define JIT_SERVICES_POLICY_ROLE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"
#include "jit/common/v1/role.pb.h"

namespace jit::policy {

// `event` with details.revision set to `revision` (what a store records).
inline jit::common::v1::AuditEvent WithRoleRevision(jit::common::v1::AuditEvent event,
                                                    int64_t revision) {
  (*event.mutable_details()->mutable_fields())["revision"].set_string_value(
      std::to_string(revision));
  return event;
}

class RoleStore {
 public:
  virtual ~RoleStore() = default;

  // The stored role (metadata.revision, update_time and updated_by set). NOT_FOUND.
  virtual absl::StatusOr<jit::common::v1::Role> Get(std::string_view name) const = 0;

  // At most `limit` roles whose names sort after `after`, in name order.
  virtual absl::StatusOr<std::vector<jit::common::v1::Role>> List(std::string_view after,
                                                                  int limit) const = 0;

  struct Contents {
    std::vector<jit::common::v1::Role> roles;
    int64_t generation = 0;
  };
  // Every role, and the generation they are consistent with.
  virtual absl::StatusOr<Contents> ListAll() const = 0;

  // The current generation (cheap).
  virtual absl::StatusOr<int64_t> Generation() const = 0;

  // Creates or replaces `role` (already validated; server-managed metadata is ignored).
  // `expected_revision`: nullopt writes unconditionally; 0 requires that the role does not
  // exist; n requires the stored revision to be n. A failed expectation is ABORTED.
  // Returns the stored role with its new revision.
  virtual absl::StatusOr<jit::common::v1::Role> Upsert(
      const jit::common::v1::Role& role, std::optional<int64_t> expected_revision, absl::Time now,
      std::string_view updated_by, const jit::common::v1::AuditEvent& event) = 0;

  // Creates every one of `roles` (validated, distinct names) at revision 1 in one
  // transaction — one generation step, one notification — or none of them: ABORTED naming
  // the first that already exists. For seeding from --roles_dir, so that other replicas
  // never see part of a set (an allow role before the deny role meant to go with it).
  // `events[i]` records the creation of `roles[i]` (INVALID_ARGUMENT if the sizes differ).
  virtual absl::Status CreateAll(const std::vector<jit::common::v1::Role>& roles, absl::Time now,
                                 std::string_view updated_by,
                                 const std::vector<jit::common::v1::AuditEvent>& events) = 0;

  // NOT_FOUND if absent; ABORTED if `expected_revision` is set and differs.
  virtual absl::Status Delete(std::string_view name, std::optional<int64_t> expected_revision,
                              const jit::common::v1::AuditEvent& event) = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_STORE_H_
