// ReviewRuleAdministration: the access review rule RPCs of the policy service.
//
// Management (Upsert/Get/List/DeleteReviewRule) is for people only (a caller that is not
// KIND_USER is PERMISSION_DENIED, one without a name UNAUTHENTICATED), each call first asking
// PolicyEngine::CheckPermission for the verb on the "access_review_rule" resource:
//   Get -> read, List -> list, Delete -> delete; Upsert with expected_revision 0 -> create,
//   > 0 -> update, unset -> both create and update.
// Rules are validated (review_rule.h) and at most kMaxReviewRules exist (FAILED_PRECONDITION
// beyond). Every write and delete is audited (access_review_rule.upsert / .delete, the actor
// "user:<name>") in the transaction of the change. ImportRules seeds rules from a directory
// (--review_rules_dir): missing ones are created, identical ones kept, a differing one is
// FAILED_PRECONDITION (as --roles_dir).
// Evaluate serves EvaluateReviewRules (the method table admits only the requests service):
// it keeps the compiled rule set of the store's generation and rebuilds it when the
// generation moves; a stored rule that no longer compiles is left out and logged.
// Thread-safe; store, engine, clock and on_call (may be null) are borrowed.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_ADMINISTRATION_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_ADMINISTRATION_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "jit/common/v1/identity.pb.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/policy_engine.h"
#include "services/policy/review_rules/on_call_source.h"
#include "services/policy/review_rules/review_rule.h"
#include "services/policy/review_rules/review_rule_store.h"

namespace jit::policy {

class ReviewRuleAdministration {
 public:
  ReviewRuleAdministration(ReviewRuleStore* store, const PolicyEngine* engine, const Clock* clock,
                           OnCallSource* on_call)
      : store_(store), engine_(engine), clock_(clock), on_call_(on_call) {}

  absl::StatusOr<v1::AccessReviewRule> UpsertReviewRule(const jit::common::v1::Identity& caller,
                                                        const v1::UpsertReviewRuleRequest& request,
                                                        const audit::AuditActor& actor);
  absl::StatusOr<v1::AccessReviewRule> GetReviewRule(const jit::common::v1::Identity& caller,
                                                     const v1::GetReviewRuleRequest& request);
  absl::StatusOr<v1::ListReviewRulesResponse> ListReviewRules(
      const jit::common::v1::Identity& caller, const v1::ListReviewRulesRequest& request);
  absl::StatusOr<v1::DeleteReviewRuleResponse> DeleteReviewRule(
      const jit::common::v1::Identity& caller, const v1::DeleteReviewRuleRequest& request,
      const audit::AuditActor& actor);

  absl::Status ImportRules(const std::vector<v1::AccessReviewRule>& rules,
                           const audit::AuditActor& actor);

  absl::StatusOr<v1::EvaluateReviewRulesResponse> Evaluate(
      const v1::EvaluateReviewRulesRequest& request);

 private:
  absl::Status Authorize(const jit::common::v1::Identity& caller, absl::string_view verb) const;
  absl::StatusOr<v1::AccessReviewRule> Write(v1::AccessReviewRule rule,
                                             std::optional<int64_t> expected,
                                             const audit::AuditActor& actor);
  absl::StatusOr<std::shared_ptr<const std::vector<CompiledReviewRule>>> Compiled();

  ReviewRuleStore* const store_;
  const PolicyEngine* const engine_;
  const Clock* const clock_;
  OnCallSource* const on_call_;
  absl::Mutex mu_;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = -1;
  std::shared_ptr<const std::vector<CompiledReviewRule>> compiled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_ADMINISTRATION_H_
