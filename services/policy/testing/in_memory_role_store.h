// RoleStore in memory, for unit tests of the policy logic. It keeps the store's contract,
// audit events included: they go to audit() with each change (a repeated event id refuses
// the change, as PostgreSQL's outbox does). Thread-safe.
#ifndef JIT_SERVICES_POLICY_TESTING_IN_MEMORY_ROLE_STORE_H_
#define JIT_SERVICES_POLICY_TESTING_IN_MEMORY_ROLE_STORE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/testing/in_memory_audit_outbox.h"
#include "services/policy/role_store.h"

namespace jit::policy::testing {

class InMemoryRoleStore final : public RoleStore {
 public:
  absl::StatusOr<jit::common::v1::Role> Get(std::string_view name) const override;
  absl::StatusOr<std::vector<jit::common::v1::Role>> List(std::string_view after,
                                                          int limit) const override;
  absl::StatusOr<Contents> ListAll() const override;
  absl::StatusOr<int64_t> Generation() const override;
  absl::StatusOr<jit::common::v1::Role> Upsert(const jit::common::v1::Role& role,
                                               std::optional<int64_t> expected_revision,
                                               absl::Time now, std::string_view updated_by,
                                               const jit::common::v1::AuditEvent& event) override;
  absl::Status CreateAll(const std::vector<jit::common::v1::Role>& roles, absl::Time now,
                         std::string_view updated_by,
                         const std::vector<jit::common::v1::AuditEvent>& events) override;
  absl::Status Delete(std::string_view name, std::optional<int64_t> expected_revision,
                      const jit::common::v1::AuditEvent& event) override;

  // The events stored with the changes.
  const audit::testing::InMemoryAuditOutbox& audit() const { return audit_; }

  // Stores `role` exactly as given, metadata included, and moves the generation: what a
  // hand edit of the database does (tests of how replicas cope with one).
  absl::Status OverwriteForTest(const jit::common::v1::Role& role);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, jit::common::v1::Role, std::less<>> roles_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  audit::testing::InMemoryAuditOutbox audit_;  // appended to under mu_
};

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_TESTING_IN_MEMORY_ROLE_STORE_H_
