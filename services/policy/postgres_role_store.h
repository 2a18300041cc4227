// RoleStore over PostgreSQL (`policy` schema): a row per role (proto3 JSON without
// server-managed metadata; revision, update_time, updated_by in columns) and
// store_state.generation, bumped by a statement trigger on every change (hand edits too),
// which NOTIFYs kRoleChangeChannel at commit. Upsert/Delete are single conditional
// statements, so an expected revision cannot race (mismatch: ABORTED naming the stored one);
// ListAll reads generation and roles in one REPEATABLE READ transaction; a write's audit
// event goes into policy.audit_outbox in the same transaction.
// Errors: as common/db/pg_errors.h maps them; DATA_LOSS for a stored role that cannot be
// decoded. Thread-safe; the pool is borrowed.
#ifndef JIT_SERVICES_POLICY_POSTGRES_ROLE_STORE_H_
#define JIT_SERVICES_POLICY_POSTGRES_ROLE_STORE_H_

#include <optional>
#include <vector>

#include "common/db/pg_pool.h"
#include "services/policy/role_store.h"

namespace jit::policy {

// The LISTEN/NOTIFY channel announcing role changes (see migrations/0001_roles.sql).
inline constexpr char kRoleChangeChannel[] = "jit_policy_roles";

class PostgresRoleStore final : public RoleStore {
 public:
  // The `policy` schema must be migrated (services/policy/migrations.h).
  explicit PostgresRoleStore(db::PgPool* pool) : pool_(pool) {}

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

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POSTGRES_ROLE_STORE_H_
