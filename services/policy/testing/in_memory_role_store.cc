#include "services/policy/testing/in_memory_role_store.h"

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/proto_time.h"
#include "common/text/quote.h"

namespace jit::policy::testing {

using jit::common::v1::AuditEvent;
using jit::common::v1::Role;

namespace {

absl::Status RevisionMismatch(std::string_view name, int64_t current, int64_t expected) {
  return absl::AbortedError(
      absl::StrCat("role \"", AsAbsl(name), "\" is at revision ", current, ", not ", expected));
}

// `role` as stored: with the server-managed metadata.
Role Stamped(Role role, int64_t revision, absl::Time now, std::string_view updated_by) {
  auto* md = role.mutable_metadata();
  md->set_revision(revision);
  SetProtoTimestamp(now, md->mutable_update_time());
  md->set_updated_by(std::string(updated_by));
  return role;
}

}  // namespace

absl::StatusOr<Role> InMemoryRoleStore::Get(std::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(name);
  if (it == roles_.end())
    return absl::NotFoundError(absl::StrCat("role ", QuoteBounded(name), " not found"));
  return it->second;
}

absl::StatusOr<std::vector<Role>> InMemoryRoleStore::List(std::string_view after, int limit) const {
  absl::MutexLock lock(&mu_);
  std::vector<Role> out;
  for (auto it = roles_.upper_bound(after);
       it != roles_.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<RoleStore::Contents> InMemoryRoleStore::ListAll() const {
  absl::MutexLock lock(&mu_);
  Contents contents;
  contents.generation = generation_;
  for (const auto& [name, role] : roles_) contents.roles.push_back(role);
  return contents;
}

absl::StatusOr<int64_t> InMemoryRoleStore::Generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

absl::StatusOr<Role> InMemoryRoleStore::Upsert(const Role& role,
                                               std::optional<int64_t> expected_revision,
                                               absl::Time now, std::string_view updated_by,
                                               const AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  const std::string& name = role.metadata().name();
  auto it = roles_.find(name);
  const int64_t current = it == roles_.end() ? 0 : it->second.metadata().revision();
  if (expected_revision.has_value() && *expected_revision != current) {
    return RevisionMismatch(name, current, *expected_revision);
  }
  Role stored = Stamped(role, current + 1, now, updated_by);
  if (absl::Status s = audit_.Append(WithRoleRevision(event, current + 1)); !s.ok()) return s;
  roles_[name] = stored;
  ++generation_;
  return stored;
}

absl::Status InMemoryRoleStore::CreateAll(const std::vector<Role>& roles, absl::Time now,
                                          std::string_view updated_by,
                                          const std::vector<AuditEvent>& events) {
  if (events.size() != roles.size()) {
    return absl::InvalidArgumentError("CreateAll: one audit event per role");
  }
  absl::MutexLock lock(&mu_);
  for (const Role& role : roles) {
    const auto it = roles_.find(role.metadata().name());
    if (it != roles_.end()) return RevisionMismatch(it->first, it->second.metadata().revision(), 0);
  }
  if (roles.empty()) return absl::OkStatus();
  for (const AuditEvent& event : events) {
    for (const AuditEvent& stored : audit_.events()) {
      if (stored.id() == event.id()) return absl::AlreadyExistsError("duplicate audit event id");
    }
  }
  for (const AuditEvent& event : events) {
    if (absl::Status s = audit_.Append(WithRoleRevision(event, 1)); !s.ok()) return s;
  }
  for (const Role& role : roles) roles_[role.metadata().name()] = Stamped(role, 1, now, updated_by);
  ++generation_;
  return absl::OkStatus();
}

absl::Status InMemoryRoleStore::Delete(std::string_view name,
                                       std::optional<int64_t> expected_revision,
                                       const AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(name);
  if (it == roles_.end())
    return absl::NotFoundError(absl::StrCat("role ", QuoteBounded(name), " not found"));
  if (expected_revision.has_value() && *expected_revision != it->second.metadata().revision()) {
    return RevisionMismatch(name, it->second.metadata().revision(), *expected_revision);
  }
  if (absl::Status s = audit_.Append(WithRoleRevision(event, it->second.metadata().revision()));
      !s.ok()) {
    return s;
  }
  roles_.erase(it);
  ++generation_;
  return absl::OkStatus();
}

absl::Status InMemoryRoleStore::OverwriteForTest(const Role& role) {
  absl::MutexLock lock(&mu_);
  roles_[role.metadata().name()] = role;
  ++generation_;
  return absl::OkStatus();
}

}  // namespace jit::policy::testing
