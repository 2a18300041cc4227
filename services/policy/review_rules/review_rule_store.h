// Where access review rules are kept: an interface, so that the administration logic never
// links a database. PostgresReviewRuleStore implements it (schema `policy`,
// migrations/0003_review_rules.sql).
//
// Revisions: each rule carries metadata.revision, 1 when created and +1 on every change.
// The generation grows on every write or delete; readers rebuild their compiled rule set
// when it moves. Every write and delete stores its audit event in the same transaction (the
// audit outbox), with details.revision set as for roles (WithRoleRevision).
// expected_revision: nullopt writes unconditionally, 0 requires absence, n requires
// revision n; a failed expectation is ABORTED naming the stored revision. NOT_FOUND for an
// unknown name. Implementations are thread-safe.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_STORE_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_STORE_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"
#include "jit/policy/v1/policy.pb.h"

namespace jit::policy {

class ReviewRuleStore {
 public:
  virtual ~ReviewRuleStore() = default;

  virtual absl::StatusOr<jit::policy::v1::AccessReviewRule> Get(std::string_view name) const = 0;
  // At most `limit` rules whose names sort after `after`, in name order.
  virtual absl::StatusOr<std::vector<jit::policy::v1::AccessReviewRule>> List(
      std::string_view after, int limit) const = 0;

  struct Contents {
    std::vector<jit::policy::v1::AccessReviewRule> rules;
    int64_t generation = 0;
  };
  // Every rule, and the generation they are consistent with.
  virtual absl::StatusOr<Contents> ListAll() const = 0;
  virtual absl::StatusOr<int64_t> Generation() const = 0;
  // The number of rules (for the kMaxReviewRules bound).
  virtual absl::StatusOr<int64_t> Count() const = 0;

  // `rule` is validated; server-managed metadata is ignored. Returns the stored rule.
  virtual absl::StatusOr<jit::policy::v1::AccessReviewRule> Upsert(
      const jit::policy::v1::AccessReviewRule& rule, std::optional<int64_t> expected_revision,
      absl::Time now, std::string_view updated_by, const jit::common::v1::AuditEvent& event) = 0;
  virtual absl::Status Delete(std::string_view name, std::optional<int64_t> expected_revision,
                              const jit::common::v1::AuditEvent& event) = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_STORE_H_
