// An immutable set of compiled roles, the only thing decisions read.
//
// Built once per change of the role set (by the store watcher, postgres_role_watcher.h, or from a
// directory of role files) and swapped in atomically through RoleSnapshotHolder. Readers
// never lock: they hold a shared_ptr to the snapshot they started with.
#ifndef JIT_SERVICES_POLICY_ROLE_SNAPSHOT_H_
#define JIT_SERVICES_POLICY_ROLE_SNAPSHOT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jit/common/v1/role.pb.h"
#include "services/policy/compiled_role.h"
#include "services/policy/predicate.h"

namespace jit::policy {

class RoleSnapshot {
 public:
  // Compiles `roles`. INVALID_ARGUMENT naming the role ("role \"dev\": spec.allow...") if
  // any role is invalid, or if two roles share a name. `generation` orders snapshots
  // (e.g. the highest role revision, or a change counter); larger is newer.
  static absl::StatusOr<std::shared_ptr<const RoleSnapshot>> Create(
      const std::vector<jit::common::v1::Role>& roles, int64_t generation = 0);

  // From already compiled roles (lets a new snapshot reuse the unchanged ones).
  // INVALID_ARGUMENT on duplicate names or a null role.
  static absl::StatusOr<std::shared_ptr<const RoleSnapshot>> FromCompiled(
      std::vector<std::shared_ptr<const CompiledRole>> roles, int64_t generation = 0);

  // An empty snapshot (no roles: every decision denies).
  static std::shared_ptr<const RoleSnapshot> Empty();

  // The role, or nullptr if the snapshot has none of that name.
  const CompiledRole* Find(absl::string_view name) const;
  std::shared_ptr<const CompiledRole> FindShared(absl::string_view name) const;

  // The compiled form of a thresholds[].filter written in some role of this snapshot, or
  // nullptr (then callers compile it themselves).
  const Predicate* FindThresholdFilter(absl::string_view source) const;

  // In name order.
  const std::vector<std::shared_ptr<const CompiledRole>>& roles() const { return roles_; }
  size_t size() const { return roles_.size(); }
  int64_t generation() const { return generation_; }

 private:
  RoleSnapshot() = default;

  std::vector<std::shared_ptr<const CompiledRole>> roles_;
  absl::flat_hash_map<std::string, const CompiledRole*> by_name_;
  absl::flat_hash_map<std::string, const Predicate*> threshold_filters_;
  int64_t generation_ = 0;
};

// Holds the current snapshot. Get() and Set() are thread-safe and lock-free for readers
// in the sense that a reader never waits for a snapshot to be built; a decision keeps the
// snapshot it started with even if a newer one is set meanwhile.
class RoleSnapshotHolder {
 public:
  // Starts with RoleSnapshot::Empty().
  RoleSnapshotHolder();
  explicit RoleSnapshotHolder(std::shared_ptr<const RoleSnapshot> initial);

  std::shared_ptr<const RoleSnapshot> Get() const;

  // Replaces the snapshot unconditionally.
  void Set(std::shared_ptr<const RoleSnapshot> snapshot);

  // Replaces the snapshot only if `snapshot` has a larger generation than the current one
  // (so that a slow rebuild cannot overwrite a newer one). Returns whether it did.
  bool SetIfNewer(std::shared_ptr<const RoleSnapshot> snapshot);

 private:
  std::atomic<std::shared_ptr<const RoleSnapshot>> current_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_SNAPSHOT_H_
