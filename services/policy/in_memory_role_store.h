// RoleStore in memory: for tests and for a single process without PostgreSQL.
// Thread-safe.
#ifndef JIT_SERVICES_POLICY_IN_MEMORY_ROLE_STORE_H_
#define JIT_SERVICES_POLICY_IN_MEMORY_ROLE_STORE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/policy/role_store.h"

namespace jit::policy {

class InMemoryRoleStore final : public RoleStore {
 public:
  absl::StatusOr<jit::common::v1::Role> Get(absl::string_view name) const override;
  absl::StatusOr<std::vector<jit::common::v1::Role>> List(absl::string_view after,
                                                          int limit) const override;
  absl::StatusOr<Contents> ListAll() const override;
  absl::StatusOr<int64_t> Generation() const override;
  absl::StatusOr<jit::common::v1::Role> Upsert(const jit::common::v1::Role& role,
                                               std::optional<int64_t> expected_revision,
                                               absl::Time now,
                                               absl::string_view updated_by) override;
  absl::Status CreateAll(const std::vector<jit::common::v1::Role>& roles, absl::Time now,
                         absl::string_view updated_by) override;
  absl::Status Delete(absl::string_view name, std::optional<int64_t> expected_revision) override;

  // Stores `role` exactly as given, metadata included, and moves the generation: what a
  // hand edit of the database does (tests of how replicas cope with one).
  absl::Status OverwriteForTest(const jit::common::v1::Role& role);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, jit::common::v1::Role, std::less<>> roles_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_IN_MEMORY_ROLE_STORE_H_
