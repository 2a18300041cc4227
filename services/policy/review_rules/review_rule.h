// Access review rules (`kind: access_review_rule`, proto jit.policy.v1.AccessReviewRule):
// parsing their YAML/JSON documents, validating them, and compiling them for evaluation.
//
// Documents are bounded like role documents (role_parser.h: size, nodes, depth) and every
// error is INVALID_ARGUMENT starting with the line ("line 7: spec.decision: ..."); rules
// given as protos get the same checks (ValidateReviewRule), naming the field path:
//  - metadata.name a valid role-style name; spec.roles 1..kMaxReviewRuleRoles valid role
//    names or "*"; spec.decision approve or deny;
//  - spec.where compiles in PredicateScope::kAutoReview;
//  - spec.max_duration within the role duration bounds;
//  - spec.schedule: time_zone a known IANA zone, days "mon".."sun" without repeats, start and
//    end "HH:MM" (both or neither);
//  - spec.max_approvals_per_user_per_day at most kMaxReviewRuleDailyLimit, approve rules
//    only.
// CompiledReviewRule is immutable and thread-safe.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/predicate.h"

namespace jit::policy {

using jit::policy::v1::AccessReviewRule;
using jit::policy::v1::AccessReviewRuleSpec;

inline constexpr size_t kMaxReviewRuleDocumentSize = 64 << 10;
inline constexpr size_t kMaxReviewRuleFileSize = 4 << 20;
inline constexpr int kMaxReviewRuleRoles = 64;
inline constexpr uint32_t kMaxReviewRuleDailyLimit = 10'000;
// How many rules the policy service holds (each is evaluated for every new request).
inline constexpr int kMaxReviewRules = 1000;
inline constexpr char kReviewRuleKind[] = "access_review_rule";

// Exactly one rule.
absl::StatusOr<AccessReviewRule> ParseReviewRuleDocument(absl::string_view document);
// Zero or more rules separated by "---" (a file of a rules directory).
absl::StatusOr<std::vector<AccessReviewRule>> ParseReviewRuleDocuments(absl::string_view document);

// Every *.yaml, *.yml and *.json file directly in `dir` (--review_rules_dir), in name order,
// each holding one or more rule documents. INVALID_ARGUMENT names the file (and line) of a
// bad document or a name defined twice; NOT_FOUND if the directory cannot be read.
absl::StatusOr<std::vector<AccessReviewRule>> LoadReviewRuleDirectory(const std::string& dir);

// INVALID_ARGUMENT "<field path>: <problem>" for an invalid rule.
absl::Status ValidateReviewRule(const AccessReviewRule& rule);

// What a rule is evaluated against.
struct ReviewRuleInput {
  const jit::common::v1::Identity* user = nullptr;
  const jit::common::v1::AccessRequest* request = nullptr;
  absl::Time now;
};

class CompiledReviewRule {
 public:
  // The ValidateReviewRule errors.
  static absl::StatusOr<CompiledReviewRule> Create(const AccessReviewRule& rule);

  const AccessReviewRule& rule() const { return rule_; }
  const std::string& name() const { return rule_.metadata().name(); }
  bool is_deny() const { return rule_.spec().decision() == AccessReviewRuleSpec::DECISION_DENY; }
  bool needs_on_call() const { return rule_.spec().on_call(); }
  // The zone the rule's day is counted in.
  const absl::TimeZone& time_zone() const { return zone_; }

  // Whether every condition but on-call holds; when not, `*why` says which did not.
  bool Matches(const ReviewRuleInput& input, std::string* why) const;

 private:
  CompiledReviewRule() = default;
  bool Covers(const jit::common::v1::AccessRequest& request) const;
  bool InSchedule(absl::Time now) const;

  AccessReviewRule rule_;
  std::optional<Predicate> where_;
  std::optional<absl::Duration> max_duration_;
  absl::TimeZone zone_ = absl::UTCTimeZone();
  bool has_schedule_ = false;
  uint8_t days_ = 0x7f;  // bit 0 = Monday
  int start_minute_ = 0;
  int end_minute_ = 0;
  bool has_window_ = false;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_REVIEW_RULE_H_
