#include "services/policy/compiled_role.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "services/policy/duration.h"
#include "services/policy/field_error.h"

namespace jit::policy {
namespace {

using jit::common::v1::AccessRequestConditions;
using jit::common::v1::RequestReasonRule;
using jit::common::v1::Role;
using jit::common::v1::RoleConditions;
using jit::common::v1::RoleOptions;
using jit::common::v1::StringList;

constexpr size_t kMaxListLength = 1024;
constexpr size_t kMaxTextLength = 1024;
constexpr uint32_t kMaxThresholdCount = 100;

// A map key in a field path: `["env"]`, the key quoted bounded (it may come from a request).
std::string Quoted(absl::string_view s) {
  return absl::StrCat("[", QuoteBounded(std::string_view(s.data(), s.size())), "]");
}

absl::Status CheckListLength(int size, absl::string_view path) {
  if (static_cast<size_t>(size) > kMaxListLength) {
    return FieldError(path, absl::StrCat("more than ", kMaxListLength, " entries"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> CompileDuration(const google::protobuf::Duration& proto,
                                               absl::string_view path) {
  absl::StatusOr<absl::Duration> d = FromProtoDuration(proto);
  if (!d.ok()) return WithFieldPath(path, d.status());
  return d;
}

absl::StatusOr<std::optional<Predicate>> CompileOptionalPredicate(absl::string_view source,
                                                                  PredicateScope scope,
                                                                  absl::string_view path) {
  if (source.empty()) return std::optional<Predicate>();
  absl::StatusOr<Predicate> p = Predicate::Compile(source, scope);
  if (!p.ok()) return WithFieldPath(path, p.status());
  return std::optional<Predicate>(*std::move(p));
}

absl::Status CompileRequest(const AccessRequestConditions& in, bool is_allow,
                            absl::string_view path, CompiledConditions* out) {
  {
    const std::string roles_path = absl::StrCat(path, ".roles");
    absl::StatusOr<CompiledNameMatchers> roles =
        CompiledNameMatchers::Create(in.roles(), roles_path);
    if (!roles.ok()) return roles.status();
    out->request_roles = *std::move(roles);
  }
  if (!is_allow) {
    // Deny conditions only remove requestable roles.
    if (in.thresholds_size() > 0) {
      return FieldError(absl::StrCat(path, ".thresholds"), "not allowed under deny");
    }
    if (in.suggested_reviewers_size() > 0) {
      return FieldError(absl::StrCat(path, ".suggested_reviewers"), "not allowed under deny");
    }
    if (in.has_max_duration()) {
      return FieldError(absl::StrCat(path, ".max_duration"), "not allowed under deny");
    }
    if (in.has_reason()) {
      return FieldError(absl::StrCat(path, ".reason"), "not allowed under deny");
    }
    if (in.break_glass() || in.has_break_glass_max_duration()) {
      return FieldError(absl::StrCat(path, ".break_glass"), "not allowed under deny");
    }
    return absl::OkStatus();
  }
  if (absl::Status s = CheckListLength(in.thresholds_size(), absl::StrCat(path, ".thresholds"));
      !s.ok()) {
    return s;
  }
  absl::flat_hash_set<std::string> threshold_names;
  for (int i = 0; i < in.thresholds_size(); ++i) {
    const auto& t = in.thresholds(i);
    const std::string t_path = absl::StrCat(path, ".thresholds[", i, "]");
    CompiledThreshold compiled;
    compiled.name = t.name().empty() ? absl::StrCat("threshold-", i) : t.name();
    if (compiled.name.size() > 128) return FieldError(absl::StrCat(t_path, ".name"), "too long");
    if (!threshold_names.insert(compiled.name).second) {
      return FieldError(absl::StrCat(t_path, ".name"),
                        absl::StrCat("duplicate threshold name \"", compiled.name, "\""));
    }
    if (t.approve() > kMaxThresholdCount) {
      return FieldError(absl::StrCat(t_path, ".approve"),
                        absl::StrCat("at most ", kMaxThresholdCount));
    }
    if (t.deny() > kMaxThresholdCount) {
      return FieldError(absl::StrCat(t_path, ".deny"),
                        absl::StrCat("at most ", kMaxThresholdCount));
    }
    compiled.approve = t.approve() == 0 ? 1 : t.approve();
    compiled.deny = t.deny() == 0 ? 1 : t.deny();
    compiled.filter = t.filter();
    absl::StatusOr<std::optional<Predicate>> filter = CompileOptionalPredicate(
        t.filter(), PredicateScope::kReview, absl::StrCat(t_path, ".filter"));
    if (!filter.ok()) return filter.status();
    compiled.compiled = *std::move(filter);
    out->thresholds.push_back(std::move(compiled));
  }
  {
    absl::StatusOr<CompiledValueList> reviewers =
        CompiledValueList::Create(in.suggested_reviewers(), /*allow_wildcard=*/false,
                                  absl::StrCat(path, ".suggested_reviewers"));
    if (!reviewers.ok()) return reviewers.status();
    out->suggested_reviewers = *std::move(reviewers);
  }
  if (in.has_max_duration()) {
    absl::StatusOr<absl::Duration> d =
        CompileDuration(in.max_duration(), absl::StrCat(path, ".max_duration"));
    if (!d.ok()) return d.status();
    out->request_max_duration = *d;
  }
  out->break_glass = in.break_glass();
  if (in.has_break_glass_max_duration()) {
    if (!in.break_glass()) {
      return FieldError(absl::StrCat(path, ".break_glass_max_duration"), "needs break_glass: true");
    }
    absl::StatusOr<absl::Duration> d = CompileDuration(
        in.break_glass_max_duration(), absl::StrCat(path, ".break_glass_max_duration"));
    if (!d.ok()) return d.status();
    out->break_glass_max_duration = *d;
  }
  if (in.has_reason()) {
    const std::string reason_path = absl::StrCat(path, ".reason");
    if (!RequestReasonRule::Mode_IsValid(in.reason().mode())) {
      return FieldError(absl::StrCat(reason_path, ".mode"), "must be required or optional");
    }
    out->reason_required = in.reason().mode() == RequestReasonRule::MODE_REQUIRED;
    if (in.reason().prompt().size() > kMaxTextLength) {
      return FieldError(absl::StrCat(reason_path, ".prompt"),
                        absl::StrCat("longer than ", kMaxTextLength, " bytes"));
    }
    out->reason_prompt = in.reason().prompt();
  }
  return absl::OkStatus();
}

absl::Status CompileConditions(const RoleConditions& in, bool is_allow, absl::string_view path,
                               CompiledConditions* out) {
  struct ListField {
    const google::protobuf::RepeatedPtrField<std::string>* values;
    const char* name;
    bool allow_wildcard;
    CompiledValueList* target;
  };
  // Teleport refuses "*" in allowed logins and Kubernetes principals; under deny it means
  // "all of them". Database names and users accept "*" on both sides.
  const ListField lists[] = {
      {&in.logins(), "logins", !is_allow, &out->logins},
      {&in.kubernetes_groups(), "kubernetes_groups", !is_allow, &out->kubernetes_groups},
      {&in.kubernetes_users(), "kubernetes_users", !is_allow, &out->kubernetes_users},
      {&in.db_names(), "db_names", true, &out->db_names},
      {&in.db_users(), "db_users", true, &out->db_users},
  };
  for (const ListField& field : lists) {
    absl::StatusOr<CompiledValueList> compiled = CompiledValueList::Create(
        *field.values, field.allow_wildcard, absl::StrCat(path, ".", field.name));
    if (!compiled.ok()) return compiled.status();
    *field.target = *std::move(compiled);
  }
  struct LabelField {
    const google::protobuf::Map<std::string, StringList>* labels;
    const char* name;
    CompiledLabelSelector* target;
  };
  const LabelField label_fields[] = {
      {&in.node_labels(), "node_labels", &out->node_labels},
      {&in.kubernetes_labels(), "kubernetes_labels", &out->kubernetes_labels},
      {&in.db_labels(), "db_labels", &out->db_labels},
      {&in.app_labels(), "app_labels", &out->app_labels},
  };
  for (const LabelField& field : label_fields) {
    absl::StatusOr<CompiledLabelSelector> compiled =
        CompiledLabelSelector::Create(*field.labels, absl::StrCat(path, ".", field.name));
    if (!compiled.ok()) return compiled.status();
    *field.target = *std::move(compiled);
  }
  if (in.has_request()) {
    if (absl::Status s =
            CompileRequest(in.request(), is_allow, absl::StrCat(path, ".request"), out);
        !s.ok()) {
      return s;
    }
  }
  if (in.has_review_requests()) {
    const std::string review_path = absl::StrCat(path, ".review_requests");
    absl::StatusOr<CompiledNameMatchers> roles = CompiledNameMatchers::Create(
        in.review_requests().roles(), absl::StrCat(review_path, ".roles"));
    if (!roles.ok()) return roles.status();
    out->review_roles = *std::move(roles);
    absl::StatusOr<std::optional<Predicate>> where = CompileOptionalPredicate(
        in.review_requests().where(), PredicateScope::kReview, absl::StrCat(review_path, ".where"));
    if (!where.ok()) return where.status();
    out->review_where = *std::move(where);
  }
  if (absl::Status s = CheckListLength(in.rules_size(), absl::StrCat(path, ".rules")); !s.ok()) {
    return s;
  }
  for (int i = 0; i < in.rules_size(); ++i) {
    const auto& rule = in.rules(i);
    const std::string rule_path = absl::StrCat(path, ".rules[", i, "]");
    CompiledRule compiled;
    compiled.index = i;
    if (rule.resources_size() == 0) {
      return FieldError(absl::StrCat(rule_path, ".resources"), "must list at least one resource");
    }
    if (rule.verbs_size() == 0) {
      return FieldError(absl::StrCat(rule_path, ".verbs"), "must list at least one verb");
    }
    for (int j = 0; j < rule.resources_size(); ++j) {
      const uint32_t bit = AdminResourceBit(rule.resources(j));
      if (bit == 0) {
        return FieldError(absl::StrCat(rule_path, ".resources[", j, "]"),
                          absl::StrCat("unknown resource \"", rule.resources(j),
                                       "\" (role, user, access_request, grant, cert_authority, "
                                       "audit_event or *)"));
      }
      compiled.resources |= bit;
    }
    for (int j = 0; j < rule.verbs_size(); ++j) {
      const uint32_t bit = AdminVerbBit(rule.verbs(j));
      if (bit == 0) {
        return FieldError(absl::StrCat(rule_path, ".verbs[", j, "]"),
                          absl::StrCat("unknown verb \"", rule.verbs(j),
                                       "\" (list, read, create, update, delete, review, revoke, "
                                       "rotate, export or *)"));
      }
      compiled.verbs |= bit;
    }
    absl::StatusOr<std::optional<Predicate>> where = CompileOptionalPredicate(
        rule.where(), PredicateScope::kRule, absl::StrCat(rule_path, ".where"));
    if (!where.ok()) return where.status();
    compiled.where = *std::move(where);
    out->rules.push_back(std::move(compiled));
  }
  return absl::OkStatus();
}

absl::Status CompileOptions(const RoleOptions& in, CompiledOptions* out) {
  constexpr absl::string_view kPath = "spec.options";
  if (in.has_max_session_ttl()) {
    absl::StatusOr<absl::Duration> d =
        CompileDuration(in.max_session_ttl(), absl::StrCat(kPath, ".max_session_ttl"));
    if (!d.ok()) return d.status();
    out->max_session_ttl = *d;
  }
  if (in.has_client_idle_timeout()) {
    absl::StatusOr<absl::Duration> d =
        CompileDuration(in.client_idle_timeout(), absl::StrCat(kPath, ".client_idle_timeout"));
    if (!d.ok()) return d.status();
    out->client_idle_timeout = *d;
  }
  if (in.has_request_ttl()) {
    absl::StatusOr<absl::Duration> d =
        CompileDuration(in.request_ttl(), absl::StrCat(kPath, ".request_ttl"));
    if (!d.ok()) return d.status();
    out->request_ttl = *d;
  }
  out->require_mfa = in.require_mfa();
  out->forward_agent = in.forward_agent();
  out->port_forwarding = in.port_forwarding();
  out->pin_source_ip = in.pin_source_ip();
  for (int i = 0; i < in.record_session_size(); ++i) {
    const uint32_t bit = RecordProtocolBit(in.record_session(i));
    const std::string item_path = absl::StrCat(kPath, ".record_session[", i, "]");
    if (bit == 0) {
      return FieldError(item_path, absl::StrCat("unknown protocol \"", in.record_session(i),
                                                "\" (ssh, kubernetes, db, app, desktop)"));
    }
    if (out->record_session & bit) {
      return FieldError(item_path, absl::StrCat("\"", in.record_session(i), "\" listed twice"));
    }
    out->record_session |= bit;
  }
  return absl::OkStatus();
}

}  // namespace

// ---- CompiledValueList -------------------------------------------------------------------

absl::StatusOr<CompiledValueList> CompiledValueList::Create(
    const google::protobuf::RepeatedPtrField<std::string>& values, bool allow_wildcard,
    absl::string_view path) {
  if (absl::Status s = CheckListLength(values.size(), path); !s.ok()) return s;
  CompiledValueList list;
  for (int i = 0; i < values.size(); ++i) {
    const std::string& value = values.Get(i);
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    if (value.empty()) return FieldError(item_path, "empty value");
    if (value.size() > kMaxTextLength) {
      return FieldError(item_path, absl::StrCat("longer than ", kMaxTextLength, " bytes"));
    }
    if (ContainsTemplate(value)) {
      absl::StatusOr<TraitTemplate> t = TraitTemplate::Parse(value);
      if (!t.ok()) return WithFieldPath(item_path, t.status());
      list.order_.emplace_back(true, static_cast<int>(list.templates_.size()));
      list.templates_.push_back(*std::move(t));
    } else if (value == "*") {
      if (!allow_wildcard) {
        return FieldError(item_path, "the wildcard \"*\" is not allowed here");
      }
      list.order_.emplace_back(false, -1);
      list.wildcard_ = true;
    } else {
      list.order_.emplace_back(false, static_cast<int>(list.literals_.size()));
      list.literals_.push_back(value);
    }
  }
  return list;
}

bool CompiledValueList::Contains(absl::string_view candidate, const Traits& traits) const {
  if (wildcard_) return true;
  for (const std::string& literal : literals_) {
    if (literal == candidate) return true;
  }
  for (const TraitTemplate& t : templates_) {
    if (t.Yields(traits, candidate)) return true;
  }
  return false;
}

bool CompiledValueList::HasValues(const Traits& traits) const {
  if (wildcard_ || !literals_.empty()) return true;
  for (const TraitTemplate& t : templates_) {
    if (t.YieldsAny(traits)) return true;
  }
  return false;
}

void CompiledValueList::Expand(const Traits& traits, std::vector<std::string>* out) const {
  for (const auto& [is_template, index] : order_) {
    if (is_template) {
      templates_[index].Expand(traits, out);
    } else {
      out->push_back(index < 0 ? std::string("*") : literals_[index]);
    }
  }
}

// ---- CompiledNameMatchers ----------------------------------------------------------------

absl::StatusOr<CompiledNameMatchers> CompiledNameMatchers::Create(
    const google::protobuf::RepeatedPtrField<std::string>& values, absl::string_view path) {
  if (absl::Status s = CheckListLength(values.size(), path); !s.ok()) return s;
  CompiledNameMatchers out;
  for (int i = 0; i < values.size(); ++i) {
    const std::string& value = values.Get(i);
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    if (ContainsTemplate(value)) {
      absl::StatusOr<TraitTemplate> t = TraitTemplate::Parse(value);
      if (!t.ok()) return WithFieldPath(item_path, t.status());
      out.templates_.push_back(*std::move(t));
      continue;
    }
    absl::StatusOr<ValueMatcher> m = ValueMatcher::Create(value);
    if (!m.ok()) return WithFieldPath(item_path, m.status());
    out.matchers_.push_back(*std::move(m));
  }
  return out;
}

const std::string* CompiledNameMatchers::Match(absl::string_view name, const Traits& traits) const {
  for (const ValueMatcher& m : matchers_) {
    if (m.Matches(name)) return &m.expression();
  }
  for (const TraitTemplate& t : templates_) {
    if (t.Yields(traits, name)) return &t.source();
  }
  return nullptr;
}

// ---- LabelView ---------------------------------------------------------------------------

namespace {

// Equality for the short strings labels and names usually are, without a libc call.
inline bool ShortEqual(const std::string& a, const std::string& b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n > 24) return a == b;
  const char* pa = a.data();
  const char* pb = b.data();
  for (size_t i = 0; i < n; ++i) {
    if (pa[i] != pb[i]) return false;
  }
  return true;
}

}  // namespace

LabelView::LabelView(const LabelMap& labels) : map_(&labels) {
  if (labels.size() > kInline) {
    use_map_ = true;
    return;
  }
  for (const auto& [key, value] : labels) entries_[size_++] = {&key, &value};
}

const std::string* LabelView::Find(const std::string& key) const {
  if (use_map_) {
    auto it = map_->find(key);
    return it == map_->end() ? nullptr : &it->second;
  }
  for (size_t i = 0; i < size_; ++i) {
    if (ShortEqual(*entries_[i].first, key)) return entries_[i].second;
  }
  return nullptr;
}

// ---- CompiledLabelSelector ---------------------------------------------------------------

absl::StatusOr<CompiledLabelSelector> CompiledLabelSelector::Create(
    const google::protobuf::Map<std::string, StringList>& selector, absl::string_view path) {
  if (absl::Status s = CheckListLength(selector.size(), path); !s.ok()) return s;
  CompiledLabelSelector out;
  std::vector<const std::string*> keys;
  keys.reserve(selector.size());
  for (const auto& [key, unused] : selector) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* key_ptr : keys) {
    const std::string& key = *key_ptr;
    const StringList& values = selector.at(key);
    const std::string key_path = absl::StrCat(path, Quoted(key));
    if (key.empty()) return FieldError(key_path, "empty label key");
    if (ContainsTemplate(key)) {
      return FieldError(key_path, "templates are not supported in label keys");
    }
    if (values.values_size() == 0) return FieldError(key_path, "label key has no values");
    if (absl::Status s = CheckListLength(values.values_size(), key_path); !s.ok()) return s;
    Key compiled;
    compiled.key = key;
    for (int i = 0; i < values.values_size(); ++i) {
      const std::string& value = values.values(i);
      const std::string item_path = absl::StrCat(key_path, "[", i, "]");
      compiled.sources.push_back(value);
      if (ContainsTemplate(value)) {
        absl::StatusOr<TraitTemplate> t = TraitTemplate::Parse(value);
        if (!t.ok()) return WithFieldPath(item_path, t.status());
        compiled.templates.push_back(*std::move(t));
        continue;
      }
      absl::StatusOr<ValueMatcher> m = ValueMatcher::Create(value);
      if (!m.ok()) return WithFieldPath(item_path, m.status());
      if (m->kind() == ValueMatcher::Kind::kAny) compiled.any_value = true;
      compiled.matchers.push_back(*std::move(m));
    }
    if (key == "*" && values.values_size() == 1 && values.values(0) == "*") {
      out.match_all_ = true;
    }
    out.keys_.push_back(std::move(compiled));
  }
  if (out.match_all_) {
    out.matched_description_ = "matched by '*': '*'";
  } else {
    std::vector<absl::string_view> names;
    for (const Key& key : out.keys_) names.push_back(key.key);
    out.matched_description_ = absl::StrCat("matched ", absl::StrJoin(names, ", "));
  }
  return out;
}

bool CompiledLabelSelector::KeyMatches(const Key& key, absl::string_view value,
                                       const Traits& traits) {
  if (key.any_value) return true;
  for (const ValueMatcher& m : key.matchers) {
    if (m.Matches(value)) return true;
  }
  for (const TraitTemplate& t : key.templates) {
    if (t.Yields(traits, value)) return true;
  }
  return false;
}

bool CompiledLabelSelector::Matches(const LabelView& labels, const Traits& traits) const {
  if (match_all_) return true;
  if (keys_.empty()) return false;
  for (const Key& key : keys_) {
    const std::string* value = labels.Find(key.key);
    if (value == nullptr) return false;
    if (!KeyMatches(key, *value, traits)) return false;
  }
  return true;
}

std::string CompiledLabelSelector::Explain(const LabelView& labels, const Traits& traits) const {
  if (match_all_) return matched_description_;
  if (keys_.empty()) return "no selector (matches nothing)";
  // The resource's label values come from the caller: quoted bounded. The role's own
  // values are bounded by ValidateRole; at most kMaxExplainedValues of them are listed.
  constexpr size_t kMaxExplainedValues = 8;
  std::string matched = "matched ";
  for (const Key& key : keys_) {
    const std::string* value = labels.Find(key.key);
    std::string want = "[";
    for (size_t i = 0; i < key.sources.size() && i < kMaxExplainedValues; ++i) {
      absl::StrAppend(&want, i == 0 ? "" : ", ", key.sources[i]);
    }
    if (key.sources.size() > kMaxExplainedValues) {
      absl::StrAppend(&want, ", and ", key.sources.size() - kMaxExplainedValues, " more");
    }
    want += "]";
    if (value == nullptr) return absl::StrCat("no label \"", key.key, "\" (want ", want, ")");
    if (!KeyMatches(key, *value, traits)) {
      return absl::StrCat(key.key, "=", TruncateText(*value, kMaxQuotedBytes), " does not match ",
                          want);
    }
    absl::StrAppend(&matched, &key == &keys_.front() ? "" : ", ", key.key, "=",
                    TruncateText(*value, kMaxQuotedBytes));
  }
  return matched;
}

// ---- Names of bits -----------------------------------------------------------------------

uint32_t AdminResourceBit(absl::string_view name) {
  if (name == "*") {
    return kAdminRole | kAdminUser | kAdminAccessRequest | kAdminGrant | kAdminCertAuthority |
           kAdminAuditEvent | kAdminAccessReviewRule;
  }
  if (name == "role") return kAdminRole;
  if (name == "user") return kAdminUser;
  if (name == "access_request") return kAdminAccessRequest;
  if (name == "grant") return kAdminGrant;
  if (name == "cert_authority") return kAdminCertAuthority;
  if (name == "audit_event") return kAdminAuditEvent;
  if (name == "access_review_rule") return kAdminAccessReviewRule;
  return 0;
}

uint32_t AdminVerbBit(absl::string_view name) {
  if (name == "*") {
    return kVerbList | kVerbRead | kVerbCreate | kVerbUpdate | kVerbDelete | kVerbReview |
           kVerbRevoke | kVerbRotate | kVerbExport;
  }
  if (name == "list") return kVerbList;
  if (name == "read") return kVerbRead;
  if (name == "create") return kVerbCreate;
  if (name == "update") return kVerbUpdate;
  if (name == "delete") return kVerbDelete;
  if (name == "review") return kVerbReview;
  if (name == "revoke") return kVerbRevoke;
  if (name == "rotate") return kVerbRotate;
  if (name == "export") return kVerbExport;
  return 0;
}

uint32_t RecordProtocolBit(absl::string_view name) {
  if (name == "ssh") return kRecordSsh;
  if (name == "kubernetes") return kRecordKubernetes;
  if (name == "db") return kRecordDb;
  if (name == "app") return kRecordApp;
  if (name == "desktop") return kRecordDesktop;
  return 0;
}

std::vector<std::string> RecordProtocolNames(uint32_t bits) {
  std::vector<std::string> names;
  for (const char* name : {"ssh", "kubernetes", "db", "app", "desktop"}) {
    if (bits & RecordProtocolBit(name)) names.emplace_back(name);
  }
  return names;
}

// ---- CompiledRole ------------------------------------------------------------------------

bool IsValidRoleName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxRoleNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<const CompiledRole>> CompiledRole::Create(const Role& role) {
  // Every text field first: valid UTF-8 without NUL (PostgreSQL's text refuses NUL; YAML
  // writes one as "\0").
  {
    std::string bad_field;
    if (absl::Status s = ValidateMessageText(role, "", &bad_field); !s.ok()) {
      return FieldError(bad_field, s.message().substr(bad_field.size() + 2));
    }
  }
  if (role.kind() != "role") {
    return FieldError("kind", role.kind().empty()
                                  ? "missing (must be \"role\")"
                                  : absl::StrCat("\"", role.kind(), "\" is not \"role\""));
  }
  if (role.version() != "v5" && role.version() != "v6" && role.version() != "v7") {
    return FieldError("version", role.version().empty()
                                     ? "missing (must be v5, v6 or v7)"
                                     : absl::StrCat("unknown version \"", role.version(),
                                                    "\" (supported: v5, v6, v7)"));
  }
  const std::string& name = role.metadata().name();
  if (name.empty()) return FieldError("metadata.name", "empty role name");
  if (!IsValidRoleName(name)) {
    return FieldError("metadata.name",
                      absl::StrCat("invalid role name ", QuoteBounded(name),
                                   ": use 1 to 253 of a-z, 0-9, '-', '_', '.', '@'"));
  }
  if (role.metadata().description().size() > kMaxTextLength) {
    return FieldError("metadata.description",
                      absl::StrCat("longer than ", kMaxTextLength, " bytes"));
  }
  if (const size_t bytes = role.ByteSizeLong(); bytes > kMaxRoleEncodedBytes) {
    return absl::InvalidArgumentError(absl::StrCat("role is ", bytes, " bytes encoded, more than ",
                                                   kMaxRoleEncodedBytes >> 10, " KiB"));
  }
  if (absl::Status s = CheckListLength(role.metadata().labels_size(), "metadata.labels"); !s.ok()) {
    return s;
  }
  for (const auto& [key, value] : role.metadata().labels()) {
    if (key.empty()) return FieldError("metadata.labels", "empty label key");
    if (key.size() > 253 || value.size() > kMaxTextLength) {
      return FieldError(absl::StrCat("metadata.labels", Quoted(key)), "too long");
    }
  }
  auto compiled = std::shared_ptr<CompiledRole>(new CompiledRole());
  if (absl::Status s = CompileConditions(role.spec().allow(), /*is_allow=*/true, "spec.allow",
                                         &compiled->allow_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CompileConditions(role.spec().deny(), /*is_allow=*/false, "spec.deny", &compiled->deny_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CompileOptions(role.spec().options(), &compiled->options_); !s.ok()) {
    return s;
  }
  compiled->role_ = role;
  return std::shared_ptr<const CompiledRole>(std::move(compiled));
}

absl::Status ValidateRole(const Role& role) { return CompiledRole::Create(role).status(); }

}  // namespace jit::policy
