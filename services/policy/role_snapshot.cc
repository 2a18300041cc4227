#include "services/policy/role_snapshot.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jit::policy {

absl::StatusOr<std::shared_ptr<const RoleSnapshot>> RoleSnapshot::Create(
    const std::vector<jit::common::v1::Role>& roles, int64_t generation) {
  std::vector<std::shared_ptr<const CompiledRole>> compiled;
  compiled.reserve(roles.size());
  for (const jit::common::v1::Role& role : roles) {
    absl::StatusOr<std::shared_ptr<const CompiledRole>> c = CompiledRole::Create(role);
    if (!c.ok()) {
      return absl::Status(c.status().code(), absl::StrCat("role \"", role.metadata().name(),
                                                          "\": ", c.status().message()));
    }
    compiled.push_back(*std::move(c));
  }
  return FromCompiled(std::move(compiled), generation);
}

absl::StatusOr<std::shared_ptr<const RoleSnapshot>> RoleSnapshot::FromCompiled(
    std::vector<std::shared_ptr<const CompiledRole>> roles, int64_t generation) {
  auto snapshot = std::shared_ptr<RoleSnapshot>(new RoleSnapshot());
  snapshot->generation_ = generation;
  for (const auto& role : roles) {
    if (role == nullptr) return absl::InvalidArgumentError("null role in snapshot");
  }
  std::sort(roles.begin(), roles.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  snapshot->roles_ = std::move(roles);
  snapshot->by_name_.reserve(snapshot->roles_.size());
  for (const auto& role : snapshot->roles_) {
    if (!snapshot->by_name_.emplace(role->name(), role.get()).second) {
      return absl::InvalidArgumentError(absl::StrCat("two roles are named \"", role->name(), "\""));
    }
    for (const CompiledThreshold& t : role->allow().thresholds) {
      if (t.compiled.has_value()) {
        snapshot->threshold_filters_.emplace(t.filter, &*t.compiled);
      }
    }
  }
  return std::shared_ptr<const RoleSnapshot>(std::move(snapshot));
}

std::shared_ptr<const RoleSnapshot> RoleSnapshot::Empty() {
  return std::shared_ptr<const RoleSnapshot>(new RoleSnapshot());
}

const CompiledRole* RoleSnapshot::Find(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const CompiledRole> RoleSnapshot::FindShared(absl::string_view name) const {
  const CompiledRole* role = Find(name);
  if (role == nullptr) return nullptr;
  auto it = std::lower_bound(roles_.begin(), roles_.end(), name,
                             [](const auto& r, absl::string_view n) { return r->name() < n; });
  return *it;
}

const Predicate* RoleSnapshot::FindThresholdFilter(absl::string_view source) const {
  auto it = threshold_filters_.find(source);
  return it == threshold_filters_.end() ? nullptr : it->second;
}

RoleSnapshotHolder::RoleSnapshotHolder() : current_(RoleSnapshot::Empty()) {}

RoleSnapshotHolder::RoleSnapshotHolder(std::shared_ptr<const RoleSnapshot> initial)
    : current_(initial != nullptr ? std::move(initial) : RoleSnapshot::Empty()) {}

std::shared_ptr<const RoleSnapshot> RoleSnapshotHolder::Get() const {
  return current_.load(std::memory_order_acquire);
}

void RoleSnapshotHolder::Set(std::shared_ptr<const RoleSnapshot> snapshot) {
  if (snapshot == nullptr) snapshot = RoleSnapshot::Empty();
  current_.store(std::move(snapshot), std::memory_order_release);
}

bool RoleSnapshotHolder::SetIfNewer(std::shared_ptr<const RoleSnapshot> snapshot) {
  if (snapshot == nullptr) return false;
  std::shared_ptr<const RoleSnapshot> current = current_.load(std::memory_order_acquire);
  while (snapshot->generation() > current->generation()) {
    if (current_.compare_exchange_weak(current, snapshot, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

}  // namespace jit::policy
