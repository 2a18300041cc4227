#include "services/policy/review_rules/review_rule.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "services/policy/compiled_role.h"
#include "services/policy/duration.h"
#include "services/policy/field_error.h"
#include "services/policy/role_parser.h"
#include "yaml-cpp/yaml.h"

namespace jit::policy {
namespace {

constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// "HH:MM" -> minutes of the day.
std::optional<int> ParseClock(absl::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  if (!absl::SimpleAtoi(text.substr(0, 2), &h) || !absl::SimpleAtoi(text.substr(3, 2), &m)) {
    return std::nullopt;
  }
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return h * 60 + m;
}

// Walks one rule document, remembering the line of every field path it visits.
class RuleDocumentWalker {
 public:
  absl::Status Walk(const YAML::Node& root, AccessReviewRule* rule) {
    if (!root.IsMap()) return Error(root, "", "a rule document must be a mapping");
    std::string kind, version;
    RETURN_IF_ERROR(Fields(
        root, "",
        {{"kind", [&](const YAML::Node& n, const std::string& p) { return String(n, p, &kind); }},
         {"version",
          [&](const YAML::Node& n, const std::string& p) { return String(n, p, &version); }},
         {"metadata",
          [&](const YAML::Node& n, const std::string& p) { return Metadata(n, p, rule); }},
         {"spec", [&](const YAML::Node& n, const std::string& p) {
            return Spec(n, p, rule->mutable_spec());
          }}}));
    if (kind != kReviewRuleKind) {
      return Error(root, "kind",
                   absl::StrCat("must be \"", kReviewRuleKind, "\", got ", QuoteBounded(kind)));
    }
    if (version != "v1") {
      return Error(root, "version", absl::StrCat("must be \"v1\", got ", QuoteBounded(version)));
    }
    return absl::OkStatus();
  }

  int LineOf(std::string path, int fallback) const {
    while (!path.empty()) {
      auto it = lines_.find(path);
      if (it != lines_.end()) return it->second;
      const size_t cut = path.back() == ']' ? path.rfind('[') : path.rfind('.');
      path.resize(cut == std::string::npos ? 0 : cut);
    }
    return fallback;
  }

 private:
  using FieldFn = std::function<absl::Status(const YAML::Node&, const std::string&)>;
  struct Field {
    const char* name;
    FieldFn parse;
  };

  static absl::Status Error(const YAML::Node& node, absl::string_view path,
                            absl::string_view problem) {
    return absl::InvalidArgumentError(absl::StrCat("line ", node.Mark().line + 1, ": ",
                                                   path.empty() ? "" : absl::StrCat(path, ": "),
                                                   problem));
  }

  absl::Status Fields(const YAML::Node& map, const std::string& path,
                      std::initializer_list<Field> fields) {
    if (!map.IsMap()) return Error(map, path, "expected a mapping");
    absl::flat_hash_set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) return Error(key, path, "field names must be strings");
      const std::string name = key.Scalar();
      const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
      if (!seen.insert(name).second) {
        return Error(key, field_path, absl::StrCat("duplicate field ", QuoteBounded(name)));
      }
      const Field* field = nullptr;
      std::vector<std::string> known;
      for (const Field& f : fields) {
        known.push_back(f.name);
        if (name == f.name) field = &f;
      }
      if (field == nullptr) {
        return Error(key, field_path,
                     absl::StrCat("unknown field ", QuoteBounded(name),
                                  " (known: ", absl::StrJoin(known, ", "), ")"));
      }
      lines_.emplace(field_path, key.Mark().line + 1);
      if (it->second.IsNull()) continue;
      RETURN_IF_ERROR(field->parse(it->second, field_path));
    }
    return absl::OkStatus();
  }

  static absl::Status String(const YAML::Node& node, const std::string& path, std::string* out) {
    if (!node.IsScalar()) return Error(node, path, "expected a string");
    *out = node.Scalar();
    return absl::OkStatus();
  }

  static absl::Status Strings(const YAML::Node& node, const std::string& path,
                              google::protobuf::RepeatedPtrField<std::string>* out) {
    if (node.IsScalar()) {
      out->Add(std::string(node.Scalar()));
      return absl::OkStatus();
    }
    if (!node.IsSequence()) return Error(node, path, "expected a list of strings");
    int i = 0;
    for (const YAML::Node& item : node) {
      if (!item.IsScalar())
        return Error(item, absl::StrCat(path, "[", i, "]"), "expected a string");
      out->Add(std::string(item.Scalar()));
      ++i;
    }
    return absl::OkStatus();
  }

  static absl::Status Bool(const YAML::Node& node, const std::string& path, bool* out) {
    if (node.IsScalar() && node.Tag() != "!") {
      if (node.Scalar() == "true") {
        *out = true;
        return absl::OkStatus();
      }
      if (node.Scalar() == "false") {
        *out = false;
        return absl::OkStatus();
      }
    }
    return Error(node, path, "expected a boolean (true or false)");
  }

  absl::Status Metadata(const YAML::Node& node, const std::string& path, AccessReviewRule* rule) {
    auto* md = rule->mutable_metadata();
    return Fields(node, path,
                  {{"name", [&](const YAML::Node& n,
                                const std::string& p) { return String(n, p, md->mutable_name()); }},
                   {"description",
                    [&](const YAML::Node& n, const std::string& p) {
                      return String(n, p, md->mutable_description());
                    }},
                   {"labels", [&](const YAML::Node& n, const std::string& p) -> absl::Status {
                      if (!n.IsMap()) return Error(n, p, "expected a mapping of strings");
                      for (auto it = n.begin(); it != n.end(); ++it) {
                        if (!it->first.IsScalar() || !it->second.IsScalar()) {
                          return Error(n, p, "labels map strings to strings");
                        }
                        (*md->mutable_labels())[it->first.Scalar()] = it->second.Scalar();
                      }
                      return absl::OkStatus();
                    }}});
  }

  absl::Status Spec(const YAML::Node& node, const std::string& path, AccessReviewRuleSpec* spec) {
    return Fields(
        node, path,
        {{"roles", [&](const YAML::Node& n,
                       const std::string& p) { return Strings(n, p, spec->mutable_roles()); }},
         {"decision",
          [&](const YAML::Node& n, const std::string& p) -> absl::Status {
            std::string d;
            RETURN_IF_ERROR(String(n, p, &d));
            if (d == "approve") {
              spec->set_decision(AccessReviewRuleSpec::DECISION_APPROVE);
            } else if (d == "deny") {
              spec->set_decision(AccessReviewRuleSpec::DECISION_DENY);
            } else {
              return Error(n, p, absl::StrCat("must be approve or deny, got ", QuoteBounded(d)));
            }
            return absl::OkStatus();
          }},
         {"where", [&](const YAML::Node& n,
                       const std::string& p) { return String(n, p, spec->mutable_where()); }},
         {"max_duration",
          [&](const YAML::Node& n, const std::string& p) -> absl::Status {
            std::string text;
            RETURN_IF_ERROR(String(n, p, &text));
            absl::StatusOr<absl::Duration> d = ParseRoleDuration(text);
            if (!d.ok()) return Error(n, p, d.status().message());
            ToProtoDuration(*d, spec->mutable_max_duration());
            return absl::OkStatus();
          }},
         {"schedule",
          [&](const YAML::Node& n, const std::string& p) {
            auto* s = spec->mutable_schedule();
            return Fields(
                n, p,
                {{"time_zone",
                  [&](const YAML::Node& v, const std::string& q) {
                    return String(v, q, s->mutable_time_zone());
                  }},
                 {"days", [&](const YAML::Node& v,
                              const std::string& q) { return Strings(v, q, s->mutable_days()); }},
                 {"start", [&](const YAML::Node& v,
                               const std::string& q) { return String(v, q, s->mutable_start()); }},
                 {"end", [&](const YAML::Node& v, const std::string& q) {
                    return String(v, q, s->mutable_end());
                  }}});
          }},
         {"on_call",
          [&](const YAML::Node& n, const std::string& p) -> absl::Status {
            bool b = false;
            RETURN_IF_ERROR(Bool(n, p, &b));
            spec->set_on_call(b);
            return absl::OkStatus();
          }},
         {"max_approvals_per_user_per_day",
          [&](const YAML::Node& n, const std::string& p) -> absl::Status {
            uint32_t v = 0;
            if (!n.IsScalar() || n.Tag() == "!" || !absl::SimpleAtoi(n.Scalar(), &v)) {
              return Error(n, p, "expected a non-negative integer");
            }
            spec->set_max_approvals_per_user_per_day(v);
            return absl::OkStatus();
          }}});
  }

  std::map<std::string, int> lines_;
};

absl::StatusOr<std::vector<AccessReviewRule>> ParseDocuments(absl::string_view document,
                                                             size_t max_bytes) {
  absl::StatusOr<std::vector<YAML::Node>> nodes = LoadBoundedYamlDocuments(document, max_bytes);
  if (!nodes.ok()) return nodes.status();
  std::vector<AccessReviewRule> rules;
  try {
    for (const YAML::Node& node : *nodes) {
      if (node.IsNull()) continue;
      AccessReviewRule rule;
      RuleDocumentWalker walker;
      if (absl::Status s = walker.Walk(node, &rule); !s.ok()) return s;
      if (absl::Status s = ValidateReviewRule(rule); !s.ok()) {
        const std::optional<std::string> path = FieldPathOf(s);
        const int line = walker.LineOf(path.value_or(""), node.Mark().line + 1);
        return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", s.message()));
      }
      rules.push_back(std::move(rule));
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed rule document: ", e.what()));
  }
  return rules;
}

}  // namespace

absl::StatusOr<std::vector<AccessReviewRule>> ParseReviewRuleDocuments(absl::string_view document) {
  return ParseDocuments(document, kMaxReviewRuleFileSize);
}

absl::StatusOr<AccessReviewRule> ParseReviewRuleDocument(absl::string_view document) {
  absl::StatusOr<std::vector<AccessReviewRule>> rules =
      ParseDocuments(document, kMaxReviewRuleDocumentSize);
  if (!rules.ok()) return rules.status();
  if (rules->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one rule document, found ", rules->size()));
  }
  return std::move(rules->front());
}

absl::StatusOr<std::vector<AccessReviewRule>> LoadReviewRuleDirectory(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read review rules directory ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<AccessReviewRule> rules;
  std::map<std::string, std::string> defined_in;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", file.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    absl::StatusOr<std::vector<AccessReviewRule>> parsed = ParseReviewRuleDocuments(buffer.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.filename().string(), ": ", parsed.status().message()));
    }
    for (auto& rule : *parsed) {
      auto [it, inserted] = defined_in.emplace(rule.metadata().name(), file.filename().string());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat("review rule \"", rule.metadata().name(),
                                                       "\" is defined in both ", it->second,
                                                       " and ", file.filename().string()));
      }
      rules.push_back(std::move(rule));
    }
  }
  return rules;
}

absl::Status ValidateReviewRule(const AccessReviewRule& rule) {
  return CompiledReviewRule::Create(rule).status();
}

absl::StatusOr<CompiledReviewRule> CompiledReviewRule::Create(const AccessReviewRule& rule) {
  CompiledReviewRule out;
  out.rule_ = rule;
  const auto& md = rule.metadata();
  if (!IsValidRoleName(md.name())) {
    return FieldError("metadata.name", absl::StrCat("invalid rule name ", QuoteBounded(md.name()),
                                                    " (1 to 253 of a-z, 0-9, '-', '_', '.', '@')"));
  }
  if (md.description().size() > 1024) return FieldError("metadata.description", "too long");
  if (md.labels_size() > 64) return FieldError("metadata.labels", "at most 64 labels");
  for (const auto& [k, v] : md.labels()) {
    if (k.size() > 253 || v.size() > 1024) return FieldError("metadata.labels", "label too long");
  }
  const AccessReviewRuleSpec& spec = rule.spec();
  if (spec.roles_size() == 0) return FieldError("spec.roles", "name at least one role");
  if (spec.roles_size() > kMaxReviewRuleRoles) {
    return FieldError("spec.roles", absl::StrCat("at most ", kMaxReviewRuleRoles, " roles"));
  }
  for (int i = 0; i < spec.roles_size(); ++i) {
    if (spec.roles(i) != "*" && !IsValidRoleName(spec.roles(i))) {
      return FieldError(absl::StrCat("spec.roles[", i, "]"),
                        absl::StrCat("invalid role name ", QuoteBounded(spec.roles(i))));
    }
  }
  if (spec.decision() != AccessReviewRuleSpec::DECISION_APPROVE &&
      spec.decision() != AccessReviewRuleSpec::DECISION_DENY) {
    return FieldError("spec.decision", "must be approve or deny");
  }
  if (!spec.where().empty()) {
    absl::StatusOr<Predicate> p = Predicate::Compile(spec.where(), PredicateScope::kAutoReview);
    if (!p.ok()) return WithFieldPath("spec.where", p.status());
    out.where_ = *std::move(p);
  }
  if (spec.has_max_duration()) {
    absl::StatusOr<absl::Duration> d = FromProtoDuration(spec.max_duration());
    if (!d.ok()) return WithFieldPath("spec.max_duration", d.status());
    if (*d <= absl::ZeroDuration()) return FieldError("spec.max_duration", "must be positive");
    out.max_duration_ = *d;
  }
  if (spec.has_schedule()) {
    const auto& s = spec.schedule();
    out.has_schedule_ = true;
    if (!s.time_zone().empty() && !absl::LoadTimeZone(s.time_zone(), &out.zone_)) {
      return FieldError("spec.schedule.time_zone",
                        absl::StrCat("unknown time zone ", QuoteBounded(s.time_zone())));
    }
    if (s.days_size() > 0) {
      out.days_ = 0;
      for (int i = 0; i < s.days_size(); ++i) {
        const auto* day = std::find(std::begin(kDays), std::end(kDays), s.days(i));
        if (day == std::end(kDays)) {
          return FieldError(absl::StrCat("spec.schedule.days[", i, "]"),
                            absl::StrCat("must be one of mon, tue, wed, thu, fri, sat, sun; got ",
                                         QuoteBounded(s.days(i))));
        }
        const uint8_t bit = 1u << (day - std::begin(kDays));
        if (out.days_ & bit) {
          return FieldError(absl::StrCat("spec.schedule.days[", i, "]"), "listed twice");
        }
        out.days_ |= bit;
      }
    }
    if (s.start().empty() != s.end().empty()) {
      return FieldError(s.start().empty() ? "spec.schedule.start" : "spec.schedule.end",
                        "set both start and end, or neither");
    }
    if (!s.start().empty()) {
      std::optional<int> start = ParseClock(s.start());
      if (!start) return FieldError("spec.schedule.start", "must be \"HH:MM\" (00:00 to 23:59)");
      std::optional<int> end = ParseClock(s.end());
      if (!end) return FieldError("spec.schedule.end", "must be \"HH:MM\" (00:00 to 23:59)");
      if (*start == *end) return FieldError("spec.schedule.end", "must differ from start");
      out.has_window_ = true;
      out.start_minute_ = *start;
      out.end_minute_ = *end;
    }
  }
  if (spec.max_approvals_per_user_per_day() > kMaxReviewRuleDailyLimit) {
    return FieldError("spec.max_approvals_per_user_per_day",
                      absl::StrCat("at most ", kMaxReviewRuleDailyLimit));
  }
  if (spec.max_approvals_per_user_per_day() > 0 &&
      spec.decision() != AccessReviewRuleSpec::DECISION_APPROVE) {
    return FieldError("spec.max_approvals_per_user_per_day", "only approve rules have a limit");
  }
  return out;
}

bool CompiledReviewRule::Covers(const jit::common::v1::AccessRequest& request) const {
  auto covered = [&](const std::string& role) {
    for (const std::string& r : rule_.spec().roles()) {
      if (r == "*" || r == role) return true;
    }
    return false;
  };
  if (request.roles().empty()) return false;
  if (is_deny()) return std::any_of(request.roles().begin(), request.roles().end(), covered);
  return std::all_of(request.roles().begin(), request.roles().end(), covered);
}

bool CompiledReviewRule::InSchedule(absl::Time now) const {
  if (!has_schedule_) return true;
  const absl::TimeZone::CivilInfo local = zone_.At(now);
  const int minute = local.cs.hour() * 60 + local.cs.minute();
  // Monday = 0.
  auto day_index = [](absl::CivilDay day) {
    return (static_cast<int>(absl::GetWeekday(day)) + 7 - static_cast<int>(absl::Weekday::monday)) %
           7;
  };
  const absl::CivilDay today = absl::CivilDay(local.cs);
  auto day_allowed = [&](absl::CivilDay day) { return (days_ >> day_index(day)) & 1u; };
  if (!has_window_) return day_allowed(today);
  if (start_minute_ < end_minute_) {
    return day_allowed(today) && minute >= start_minute_ && minute < end_minute_;
  }
  // Over midnight: the evening belongs to today's window, the early morning to yesterday's.
  if (minute >= start_minute_) return day_allowed(today);
  if (minute < end_minute_) return day_allowed(today - 1);
  return false;
}

bool CompiledReviewRule::Matches(const ReviewRuleInput& input, std::string* why) const {
  const auto& request = *input.request;
  if (!Covers(request)) {
    *why = is_deny() ? "covers none of the requested roles" : "does not cover every requested role";
    return false;
  }
  if (max_duration_.has_value()) {
    const auto& d = request.requested_duration();
    const absl::Duration asked = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
    if (asked <= absl::ZeroDuration() || asked > *max_duration_) {
      *why = absl::StrCat("requested duration ", FormatRoleDuration(asked), " is over ",
                          FormatRoleDuration(*max_duration_));
      return false;
    }
  }
  if (!InSchedule(input.now)) {
    *why = "outside its schedule";
    return false;
  }
  if (where_.has_value()) {
    PredicateInput p;
    p.subject_name = input.user->name();
    p.subject_roles = &input.user->roles();
    p.subject_traits = &input.user->traits();
    p.request_roles = &request.roles();
    p.request_reason = request.reason();
    if (!where_->Evaluate(p)) {
      *why = absl::StrCat("where \"", where_->source(), "\" is false");
      return false;
    }
  }
  return true;
}

}  // namespace jit::policy
