// ReviewRuleStore over PostgreSQL, in the `policy` schema (migrations/0003_review_rules.sql):
// a row per rule (proto3 JSON without server-managed metadata, revision/update_time/
// updated_by in columns) and review_rule_state.generation, bumped in the transaction of
// every write and delete. Upsert and Delete are single conditional statements, so an
// expected revision cannot race. Audit events go to policy.audit_outbox in the same
// transaction. Errors as common/db/pg_errors.h maps them; DATA_LOSS for a stored rule that
// cannot be decoded. Thread-safe; the pool is borrowed.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_POSTGRES_REVIEW_RULE_STORE_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_POSTGRES_REVIEW_RULE_STORE_H_

#include "common/db/pg_pool.h"
#include "services/policy/review_rules/review_rule_store.h"

namespace jit::policy {

class PostgresReviewRuleStore final : public ReviewRuleStore {
 public:
  explicit PostgresReviewRuleStore(db::PgPool* pool) : pool_(pool) {}

  absl::StatusOr<jit::policy::v1::AccessReviewRule> Get(std::string_view name) const override;
  absl::StatusOr<std::vector<jit::policy::v1::AccessReviewRule>> List(std::string_view after,
                                                                      int limit) const override;
  absl::StatusOr<Contents> ListAll() const override;
  absl::StatusOr<int64_t> Generation() const override;
  absl::StatusOr<int64_t> Count() const override;
  absl::StatusOr<jit::policy::v1::AccessReviewRule> Upsert(
      const jit::policy::v1::AccessReviewRule& rule, std::optional<int64_t> expected_revision,
      absl::Time now, std::string_view updated_by,
      const jit::common::v1::AuditEvent& event) override;
  absl::Status Delete(std::string_view name, std::optional<int64_t> expected_revision,
                      const jit::common::v1::AuditEvent& event) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_POSTGRES_REVIEW_RULE_STORE_H_
