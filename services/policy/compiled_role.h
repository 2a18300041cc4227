// A role compiled for evaluation: every matcher, template and predicate parsed once.
//
// CompiledRole::Create is also the validation of a role (ValidateRole): a role that
// compiles is valid, and every check lives here, whether the role came from a YAML/JSON
// document or as a proto. Errors are INVALID_ARGUMENT naming the field path
// (`spec.allow.node_labels["env"][1]: invalid regular expression ...`, with the path also
// attached as a payload, see field_error.h).
//
// Immutable and thread-safe after Create. Snapshots share CompiledRoles through
// shared_ptr, so a new snapshot recompiles only the roles that changed.
#ifndef JIT_SERVICES_POLICY_COMPILED_ROLE_H_
#define JIT_SERVICES_POLICY_COMPILED_ROLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/map.h"
#include "jit/common/v1/role.pb.h"
#include "services/policy/predicate.h"
#include "services/policy/trait_template.h"
#include "services/policy/value_matcher.h"

namespace jit::policy {

using LabelMap = google::protobuf::Map<std::string, std::string>;

// A resource's labels prepared once per decision for the many lookups label selectors
// make: a small inline array scanned linearly (length first) when there are few labels,
// the proto map otherwise. Borrows `labels`, which must outlive the view.
class LabelView {
 public:
  explicit LabelView(const LabelMap& labels);
  // The value of `key`, or nullptr.
  const std::string* Find(const std::string& key) const;
  const LabelMap& map() const { return *map_; }

 private:
  static constexpr size_t kInline = 16;
  const LabelMap* map_;
  bool use_map_ = false;
  size_t size_ = 0;
  std::pair<const std::string*, const std::string*> entries_[kInline];
};

// Exact values with optional "*" and trait templates: logins, kubernetes_groups/users,
// db_names/users, suggested_reviewers.
class CompiledValueList {
 public:
  CompiledValueList() = default;
  // `allow_wildcard`: whether "*" (any value) is accepted in this field.
  static absl::StatusOr<CompiledValueList> Create(
      const google::protobuf::RepeatedPtrField<std::string>& values, bool allow_wildcard,
      absl::string_view path);

  // True if "*" is listed, `candidate` is a literal, or a template yields it.
  bool Contains(absl::string_view candidate, const Traits& traits) const;
  // True if the list holds at least one value for these traits.
  bool HasValues(const Traits& traits) const;
  // Appends literals (including "*") and interpolated values, in the order written.
  void Expand(const Traits& traits, std::vector<std::string>* out) const;
  bool empty() const { return literals_.empty() && templates_.empty() && !wildcard_; }

 private:
  std::vector<std::string> literals_;
  bool wildcard_ = false;
  std::vector<TraitTemplate> templates_;
  // The written order: for each entry, a template (index into templates_) or a literal
  // (index into literals_, or -1 for "*").
  std::vector<std::pair<bool, int>> order_;
};

// Role-name expressions (request.roles, review_requests.roles): "*", globs, ^regex$ and
// templates (whose values compare literally).
class CompiledNameMatchers {
 public:
  CompiledNameMatchers() = default;
  static absl::StatusOr<CompiledNameMatchers> Create(
      const google::protobuf::RepeatedPtrField<std::string>& values, absl::string_view path);

  // The expression that matched `name`, or nullptr.
  const std::string* Match(absl::string_view name, const Traits& traits) const;
  bool empty() const { return matchers_.empty() && templates_.empty(); }

 private:
  std::vector<ValueMatcher> matchers_;
  std::vector<TraitTemplate> templates_;
};

// A label selector with Teleport's MatchLabels semantics: an empty selector matches nothing;
// {"*": ["*"]} matches everything (even unlabelled resources); otherwise every key must be
// present on the resource and its value must match one of the key's values ("*", globs,
// ^regex$, or templates compared literally). A key whose values all come from templates
// that yield nothing for the identity matches nothing.
class CompiledLabelSelector {
 public:
  CompiledLabelSelector() = default;
  static absl::StatusOr<CompiledLabelSelector> Create(
      const google::protobuf::Map<std::string, jit::common::v1::StringList>& selector,
      absl::string_view path);

  bool Matches(const LabelView& labels, const Traits& traits) const;
  bool Matches(const LabelMap& labels, const Traits& traits) const {
    return Matches(LabelView(labels), traits);
  }
  // Why it did not match, for explanations ("no label \"team\" (want [a, b])",
  // "env=dev does not match [prod]"), or "matched env=prod, team=db". Slow path.
  std::string Explain(const LabelView& labels, const Traits& traits) const;
  std::string Explain(const LabelMap& labels, const Traits& traits) const {
    return Explain(LabelView(labels), traits);
  }
  // For a selector known to match: "matched env, team" (or "matched by '*': '*'"),
  // computed once when compiling.
  const std::string& matched_description() const { return matched_description_; }
  bool empty() const { return keys_.empty() && !match_all_; }

 private:
  struct Key {
    std::string key;
    bool any_value = false;
    std::vector<ValueMatcher> matchers;
    std::vector<TraitTemplate> templates;
    std::vector<std::string> sources;  // as written, for explanations
  };
  static bool KeyMatches(const Key& key, absl::string_view value, const Traits& traits);

  bool match_all_ = false;
  std::vector<Key> keys_;  // sorted by key
  std::string matched_description_;
};

// Administrative resources and verbs of `rules`, as bits.
enum AdminResource : uint32_t {
  kAdminRole = 1u << 0,
  kAdminUser = 1u << 1,
  kAdminAccessRequest = 1u << 2,
  kAdminGrant = 1u << 3,
  kAdminCertAuthority = 1u << 4,
  kAdminAuditEvent = 1u << 5,
  kAdminAccessReviewRule = 1u << 6,
};
enum AdminVerb : uint32_t {
  kVerbList = 1u << 0,
  kVerbRead = 1u << 1,
  kVerbCreate = 1u << 2,
  kVerbUpdate = 1u << 3,
  kVerbDelete = 1u << 4,
  kVerbReview = 1u << 5,
  kVerbRevoke = 1u << 6,
  kVerbRotate = 1u << 7,
  kVerbExport = 1u << 8,
};
// The bit for "role", "user", ... ; 0 if unknown. "*" is all bits.
uint32_t AdminResourceBit(absl::string_view name);
uint32_t AdminVerbBit(absl::string_view name);

// Session-recording protocols, as bits, in canonical order.
enum RecordProtocol : uint32_t {
  kRecordSsh = 1u << 0,
  kRecordKubernetes = 1u << 1,
  kRecordDb = 1u << 2,
  kRecordApp = 1u << 3,
  kRecordDesktop = 1u << 4,
};
// "ssh" -> kRecordSsh ...; 0 if unknown.
uint32_t RecordProtocolBit(absl::string_view name);
// Names of the set bits in canonical order (ssh, kubernetes, db, app, desktop).
std::vector<std::string> RecordProtocolNames(uint32_t bits);

struct CompiledThreshold {
  std::string name;
  std::string filter;                 // as written; empty matches every review
  std::optional<Predicate> compiled;  // set when filter is non-empty
  uint32_t approve = 1;
  uint32_t deny = 1;
};

struct CompiledRule {
  uint32_t resources = 0;
  uint32_t verbs = 0;
  std::optional<Predicate> where;
  int index = 0;  // position in spec.<side>.rules, for explanations
};

struct CompiledConditions {
  CompiledValueList logins;
  CompiledLabelSelector node_labels;
  CompiledLabelSelector kubernetes_labels;
  CompiledValueList kubernetes_groups;
  CompiledValueList kubernetes_users;
  CompiledLabelSelector db_labels;
  CompiledValueList db_names;
  CompiledValueList db_users;
  CompiledLabelSelector app_labels;

  CompiledNameMatchers request_roles;
  std::vector<CompiledThreshold> thresholds;
  CompiledValueList suggested_reviewers;
  absl::Duration request_max_duration = absl::ZeroDuration();  // zero: not set
  bool break_glass = false;
  absl::Duration break_glass_max_duration = absl::Hours(1);
  bool reason_required = false;
  std::string reason_prompt;

  CompiledNameMatchers review_roles;
  std::optional<Predicate> review_where;

  std::vector<CompiledRule> rules;
};

struct CompiledOptions {
  absl::Duration max_session_ttl = absl::ZeroDuration();  // zero: not set
  bool require_mfa = false;
  uint32_t record_session = 0;                                // RecordProtocol bits
  absl::Duration client_idle_timeout = absl::ZeroDuration();  // zero: not set
  absl::Duration request_ttl = absl::ZeroDuration();          // zero: not set
  bool forward_agent = false;                                 // SSH agent forwarding
  bool port_forwarding = false;                               // SSH port forwarding
  bool pin_source_ip = false;  // SSH certificates only from the requesting address
};

class CompiledRole {
 public:
  static absl::StatusOr<std::shared_ptr<const CompiledRole>> Create(
      const jit::common::v1::Role& role);

  const std::string& name() const { return role_.metadata().name(); }
  const jit::common::v1::Role& role() const { return role_; }
  const CompiledConditions& allow() const { return allow_; }
  const CompiledConditions& deny() const { return deny_; }
  const CompiledOptions& options() const { return options_; }

 private:
  CompiledRole() = default;

  jit::common::v1::Role role_;
  CompiledConditions allow_;
  CompiledConditions deny_;
  CompiledOptions options_;
};

// OK if the role compiles; else the INVALID_ARGUMENT that CompiledRole::Create returns.
absl::Status ValidateRole(const jit::common::v1::Role& role);

inline constexpr size_t kMaxRoleNameBytes = 253;
// The largest role, as its protobuf encoding (a role document's own limits are in
// role_parser.h). Lists and maps hold at most 1024 entries, metadata.labels included.
inline constexpr size_t kMaxRoleEncodedBytes = 256 << 10;

// True for a valid role name: 1 to 253 characters of [a-z0-9] and '-', '_', '.', '@'.
bool IsValidRoleName(absl::string_view name);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_COMPILED_ROLE_H_
