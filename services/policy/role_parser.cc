#include "services/policy/role_parser.h"

#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/quote.h"
#include "services/policy/compiled_role.h"
#include "services/policy/duration.h"
#include "services/policy/field_error.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace jit::policy {
namespace {

using jit::common::v1::AccessRequestConditions;
using jit::common::v1::AccessReviewThreshold;
using jit::common::v1::RequestReasonRule;
using jit::common::v1::ReviewRequestConditions;
using jit::common::v1::Role;
using jit::common::v1::RoleConditions;
using jit::common::v1::RoleOptions;
using jit::common::v1::Rule;
using jit::common::v1::StringList;

// A parse failure, carried out of the recursive walk by value.
struct ParseFailure {
  absl::Status status;
};

const char* TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

// Walks one role document, filling a Role and remembering the line of every field path.
class RoleDocumentWalker {
 public:
  absl::Status Walk(const YAML::Node& root, Role* role) {
    if (!root.IsMap()) return Error(root, "", "a role document must be a mapping");
    return WalkFields(
        root, "",
        {
            {"kind", [&](const YAML::Node& n,
                         const std::string& p) { return String(n, p, role->mutable_kind()); }},
            {"version",
             [&](const YAML::Node& n, const std::string& p) {
               return String(n, p, role->mutable_version());
             }},
            {"metadata",
             [&](const YAML::Node& n, const std::string& p) { return Metadata(n, p, role); }},
            {"spec", [&](const YAML::Node& n, const std::string& p) { return Spec(n, p, role); }},
        });
  }

  // The line (1-based) recorded for `path` or its closest recorded parent.
  std::optional<int> LineOf(std::string path) const {
    while (true) {
      auto it = lines_.find(path);
      if (it != lines_.end()) return it->second;
      // Strip the last segment: ["key"], [3] or .name.
      if (path.empty()) return std::nullopt;
      size_t cut;
      if (path.back() == ']') {
        cut = path.rfind('[');
      } else {
        cut = path.rfind('.');
        if (cut == std::string::npos) cut = 0;
      }
      if (cut == std::string::npos) return std::nullopt;
      path.resize(cut);
    }
  }

 private:
  using FieldFn = std::function<absl::Status(const YAML::Node&, const std::string&)>;
  struct Field {
    const char* name;
    FieldFn parse;
  };

  static int Line(const YAML::Node& node) { return node.Mark().line + 1; }

  static absl::Status Error(const YAML::Node& node, absl::string_view path,
                            absl::string_view problem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", Line(node), ": ", path.empty() ? "" : absl::StrCat(path, ": "), problem));
  }
  static absl::Status ErrorAtLine(int line, absl::string_view path, absl::string_view problem) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ": ", path.empty() ? "" : absl::StrCat(path, ": "), problem));
  }

  absl::Status Visit(const YAML::Node& node, const std::string& path, int line) {
    if (++visited_ > kMaxRoleDocumentVisits) {
      return ErrorAtLine(line, path, "document too large or too deeply aliased");
    }
    lines_.emplace(path, line);
    return absl::OkStatus();
  }

  static std::string Join(const std::string& parent, absl::string_view name) {
    return parent.empty() ? std::string(name) : absl::StrCat(parent, ".", name);
  }

  absl::Status WalkFields(const YAML::Node& map, const std::string& path,
                          std::initializer_list<Field> fields) {
    absl::flat_hash_set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: `it->` yields a temporary
      if (!key.IsScalar()) return Error(key, path, "field names must be strings");
      const std::string& name = key.Scalar();
      const std::string field_path = Join(path, name);
      const int line = Line(key);
      if (!seen.insert(name).second) {
        return ErrorAtLine(line, field_path, absl::StrCat("duplicate field ", QuoteBounded(name)));
      }
      const Field* field = nullptr;
      for (const Field& f : fields) {
        if (name == f.name) field = &f;
      }
      if (field == nullptr) {
        std::vector<std::string> known;
        for (const Field& f : fields) known.push_back(f.name);
        return ErrorAtLine(line, field_path,
                           absl::StrCat("unknown field ", QuoteBounded(name),
                                        " (known: ", absl::StrJoin(known, ", "), ")"));
      }
      if (absl::Status s = Visit(it->second, field_path, line); !s.ok()) return s;
      if (it->second.IsNull()) continue;  // "not set"
      if (absl::Status s = field->parse(it->second, field_path); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ExpectMap(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      return Error(node, path, absl::StrCat("expected a mapping, got ", TypeName(node)));
    }
    return absl::OkStatus();
  }

  absl::Status String(const YAML::Node& node, const std::string& path, std::string* out) {
    if (!node.IsScalar()) {
      return Error(node, path, absl::StrCat("expected a string, got ", TypeName(node)));
    }
    *out = node.Scalar();
    return absl::OkStatus();
  }

  // A list of strings, or one string.
  absl::Status StringList(const YAML::Node& node, const std::string& path,
                          google::protobuf::RepeatedPtrField<std::string>* out) {
    if (node.IsScalar()) {
      lines_.emplace(absl::StrCat(path, "[0]"), Line(node));
      out->Add(std::string(node.Scalar()));
      return absl::OkStatus();
    }
    if (!node.IsSequence()) {
      return Error(node, path, absl::StrCat("expected a list of strings, got ", TypeName(node)));
    }
    int index = 0;
    for (const YAML::Node& item : node) {
      const std::string item_path = absl::StrCat(path, "[", index++, "]");
      if (absl::Status s = Visit(item, item_path, Line(item)); !s.ok()) return s;
      if (!item.IsScalar()) {
        return Error(item, item_path, absl::StrCat("expected a string, got ", TypeName(item)));
      }
      out->Add(std::string(item.Scalar()));
    }
    return absl::OkStatus();
  }

  absl::Status Bool(const YAML::Node& node, const std::string& path, bool* out) {
    // Only plain (unquoted) true/false: a quoted "true" is a string.
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& v = node.Scalar();
      if (v == "true" || v == "True" || v == "TRUE") {
        *out = true;
        return absl::OkStatus();
      }
      if (v == "false" || v == "False" || v == "FALSE") {
        *out = false;
        return absl::OkStatus();
      }
    }
    return Error(
        node, path,
        absl::StrCat("expected a boolean (true or false), got ",
                     node.IsScalar() ? QuoteBounded(node.Scalar()) : std::string(TypeName(node))));
  }

  absl::Status Uint(const YAML::Node& node, const std::string& path, uint32_t* out) {
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& v = node.Scalar();
      if (!v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos) {
        *out = static_cast<uint32_t>(std::stoul(v));
        return absl::OkStatus();
      }
    }
    return Error(
        node, path,
        absl::StrCat("expected a non-negative integer, got ",
                     node.IsScalar() ? QuoteBounded(node.Scalar()) : std::string(TypeName(node))));
  }

  absl::Status Duration(const YAML::Node& node, const std::string& path,
                        google::protobuf::Duration* out) {
    if (!node.IsScalar()) {
      return Error(node, path,
                   absl::StrCat("expected a duration such as \"1h30m\", got ", TypeName(node)));
    }
    absl::StatusOr<absl::Duration> d = ParseRoleDuration(node.Scalar());
    if (!d.ok()) return Error(node, path, d.status().message());
    ToProtoDuration(*d, out);
    return absl::OkStatus();
  }

  absl::Status LabelMap(const YAML::Node& node, const std::string& path,
                        google::protobuf::Map<std::string, jit::common::v1::StringList>* out) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: `it->` yields a temporary
      if (!key.IsScalar()) return Error(key, path, "label keys must be strings");
      const std::string key_path = absl::StrCat(path, "[", QuoteBounded(key.Scalar()), "]");
      if (absl::Status s = Visit(it->second, key_path, Line(key)); !s.ok()) return s;
      if (out->contains(key.Scalar())) {
        return Error(key, key_path,
                     absl::StrCat("duplicate label key ", QuoteBounded(key.Scalar())));
      }
      if (it->second.IsNull()) {
        return Error(key, key_path, "label key has no values");
      }
      auto* values = (*out)[key.Scalar()].mutable_values();
      if (absl::Status s = StringList(it->second, key_path, values); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Metadata(const YAML::Node& node, const std::string& path, Role* role) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    auto* md = role->mutable_metadata();
    return WalkFields(
        node, path,
        {
            {"name", [&](const YAML::Node& n,
                         const std::string& p) { return String(n, p, md->mutable_name()); }},
            {"description",
             [&](const YAML::Node& n, const std::string& p) {
               return String(n, p, md->mutable_description());
             }},
            {"labels",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               if (absl::Status s = ExpectMap(n, p); !s.ok()) return s;
               for (auto it = n.begin(); it != n.end(); ++it) {
                 if (!it->first.IsScalar())
                   return Error(it->first, p, "label keys must be strings");
                 const std::string key_path =
                     absl::StrCat(p, "[", QuoteBounded(it->first.Scalar()), "]");
                 if (md->labels().contains(it->first.Scalar())) {
                   return Error(it->first, key_path, "duplicate label key");
                 }
                 std::string value;
                 if (absl::Status s = String(it->second, key_path, &value); !s.ok()) return s;
                 (*md->mutable_labels())[it->first.Scalar()] = value;
               }
               return absl::OkStatus();
             }},
        });
  }

  absl::Status Spec(const YAML::Node& node, const std::string& path, Role* role) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    auto* spec = role->mutable_spec();
    return WalkFields(
        node, path,
        {
            {"allow",
             [&](const YAML::Node& n, const std::string& p) {
               return Conditions(n, p, spec->mutable_allow());
             }},
            {"deny", [&](const YAML::Node& n,
                         const std::string& p) { return Conditions(n, p, spec->mutable_deny()); }},
            {"options",
             [&](const YAML::Node& n, const std::string& p) {
               return Options(n, p, spec->mutable_options());
             }},
        });
  }

  absl::Status Conditions(const YAML::Node& node, const std::string& path, RoleConditions* c) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    auto list = [this](google::protobuf::RepeatedPtrField<std::string>* out) {
      return
          [this, out](const YAML::Node& n, const std::string& p) { return StringList(n, p, out); };
    };
    auto labels = [this](google::protobuf::Map<std::string, jit::common::v1::StringList>* out) {
      return [this, out](const YAML::Node& n, const std::string& p) { return LabelMap(n, p, out); };
    };
    return WalkFields(
        node, path,
        {
            {"logins", list(c->mutable_logins())},
            {"node_labels", labels(c->mutable_node_labels())},
            {"kubernetes_labels", labels(c->mutable_kubernetes_labels())},
            {"kubernetes_groups", list(c->mutable_kubernetes_groups())},
            {"kubernetes_users", list(c->mutable_kubernetes_users())},
            {"db_labels", labels(c->mutable_db_labels())},
            {"db_names", list(c->mutable_db_names())},
            {"db_users", list(c->mutable_db_users())},
            {"app_labels", labels(c->mutable_app_labels())},
            {"request", [&](const YAML::Node& n,
                            const std::string& p) { return Request(n, p, c->mutable_request()); }},
            {"review_requests",
             [&](const YAML::Node& n, const std::string& p) {
               return ReviewRequests(n, p, c->mutable_review_requests());
             }},
            {"rules", [&](const YAML::Node& n,
                          const std::string& p) { return Rules(n, p, c->mutable_rules()); }},
        });
  }

  absl::Status Request(const YAML::Node& node, const std::string& path,
                       AccessRequestConditions* r) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    return WalkFields(
        node, path,
        {
            {"roles", [&](const YAML::Node& n,
                          const std::string& p) { return StringList(n, p, r->mutable_roles()); }},
            {"thresholds",
             [&](const YAML::Node& n, const std::string& p) { return Thresholds(n, p, r); }},
            {"suggested_reviewers",
             [&](const YAML::Node& n, const std::string& p) {
               return StringList(n, p, r->mutable_suggested_reviewers());
             }},
            {"max_duration",
             [&](const YAML::Node& n, const std::string& p) {
               return Duration(n, p, r->mutable_max_duration());
             }},
            {"break_glass",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               r->set_break_glass(v);
               return absl::OkStatus();
             }},
            {"break_glass_max_duration",
             [&](const YAML::Node& n, const std::string& p) {
               return Duration(n, p, r->mutable_break_glass_max_duration());
             }},
            {"reason",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               if (absl::Status s = ExpectMap(n, p); !s.ok()) return s;
               auto* reason = r->mutable_reason();
               return WalkFields(
                   n, p,
                   {
                       {"mode",
                        [&](const YAML::Node& m, const std::string& mp) -> absl::Status {
                          std::string mode;
                          if (absl::Status s = String(m, mp, &mode); !s.ok()) return s;
                          if (mode == "required") {
                            reason->set_mode(RequestReasonRule::MODE_REQUIRED);
                          } else if (mode == "optional") {
                            reason->set_mode(RequestReasonRule::MODE_OPTIONAL);
                          } else {
                            return Error(m, mp,
                                         absl::StrCat("unknown mode ", QuoteBounded(mode),
                                                      " (required or optional)"));
                          }
                          return absl::OkStatus();
                        }},
                       {"prompt",
                        [&](const YAML::Node& m, const std::string& mp) {
                          return String(m, mp, reason->mutable_prompt());
                        }},
                   });
             }},
        });
  }

  absl::Status Thresholds(const YAML::Node& node, const std::string& path,
                          AccessRequestConditions* r) {
    if (!node.IsSequence()) {
      return Error(node, path, absl::StrCat("expected a list of thresholds, got ", TypeName(node)));
    }
    int index = 0;
    for (const YAML::Node& item : node) {
      const std::string item_path = absl::StrCat(path, "[", index++, "]");
      if (absl::Status s = Visit(item, item_path, Line(item)); !s.ok()) return s;
      if (absl::Status s = ExpectMap(item, item_path); !s.ok()) return s;
      AccessReviewThreshold* t = r->add_thresholds();
      absl::Status s = WalkFields(
          item, item_path,
          {
              {"name", [&](const YAML::Node& n,
                           const std::string& p) { return String(n, p, t->mutable_name()); }},
              {"filter", [&](const YAML::Node& n,
                             const std::string& p) { return String(n, p, t->mutable_filter()); }},
              {"approve",
               [&](const YAML::Node& n, const std::string& p) -> absl::Status {
                 uint32_t v = 0;
                 if (absl::Status s = Uint(n, p, &v); !s.ok()) return s;
                 t->set_approve(v);
                 return absl::OkStatus();
               }},
              {"deny",
               [&](const YAML::Node& n, const std::string& p) -> absl::Status {
                 uint32_t v = 0;
                 if (absl::Status s = Uint(n, p, &v); !s.ok()) return s;
                 t->set_deny(v);
                 return absl::OkStatus();
               }},
          });
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ReviewRequests(const YAML::Node& node, const std::string& path,
                              ReviewRequestConditions* r) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    return WalkFields(
        node, path,
        {
            {"roles", [&](const YAML::Node& n,
                          const std::string& p) { return StringList(n, p, r->mutable_roles()); }},
            {"where", [&](const YAML::Node& n,
                          const std::string& p) { return String(n, p, r->mutable_where()); }},
        });
  }

  absl::Status Rules(const YAML::Node& node, const std::string& path,
                     google::protobuf::RepeatedPtrField<Rule>* rules) {
    if (!node.IsSequence()) {
      return Error(node, path, absl::StrCat("expected a list of rules, got ", TypeName(node)));
    }
    int index = 0;
    for (const YAML::Node& item : node) {
      const std::string item_path = absl::StrCat(path, "[", index++, "]");
      if (absl::Status s = Visit(item, item_path, Line(item)); !s.ok()) return s;
      if (absl::Status s = ExpectMap(item, item_path); !s.ok()) return s;
      Rule* rule = rules->Add();
      absl::Status s = WalkFields(
          item, item_path,
          {
              {"resources",
               [&](const YAML::Node& n, const std::string& p) {
                 return StringList(n, p, rule->mutable_resources());
               }},
              {"verbs",
               [&](const YAML::Node& n, const std::string& p) {
                 return StringList(n, p, rule->mutable_verbs());
               }},
              {"where", [&](const YAML::Node& n,
                            const std::string& p) { return String(n, p, rule->mutable_where()); }},
          });
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status RecordSession(const YAML::Node& node, const std::string& path, RoleOptions* o) {
    if (!node.IsMap()) return StringList(node, path, o->mutable_record_session());
    // Teleport's map form.
    uint32_t on = 0;
    uint32_t off = 0;
    std::optional<bool> default_on;
    absl::flat_hash_set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) return Error(it->first, path, "keys must be protocol names");
      const std::string& key = it->first.Scalar();
      const std::string key_path = absl::StrCat(path, "[", QuoteBounded(key), "]");
      if (absl::Status s = Visit(it->second, key_path, Line(it->first)); !s.ok()) return s;
      if (!seen.insert(key).second) return Error(it->first, key_path, "duplicate key");
      const YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      bool record = false;
      if (value.IsScalar() && value.Tag() != "!" &&
          (value.Scalar() == "true" || value.Scalar() == "false")) {
        record = value.Scalar() == "true";
      } else if (value.IsScalar() &&
                 (value.Scalar() == "best_effort" || value.Scalar() == "strict")) {
        record = true;
      } else {
        return Error(value, key_path, "expected true, false, best_effort or strict");
      }
      if (key == "default") {
        default_on = record;
        continue;
      }
      const uint32_t bit = RecordProtocolBit(key);
      if (bit == 0) {
        return Error(it->first, key_path,
                     absl::StrCat("unknown protocol ", QuoteBounded(key),
                                  " (default, ssh, kubernetes, db, app, desktop)"));
      }
      (record ? on : off) |= bit;
    }
    if (default_on.value_or(false)) {
      on |= (kRecordSsh | kRecordKubernetes | kRecordDb | kRecordApp) & ~off;
    }
    for (const std::string& name : RecordProtocolNames(on)) o->add_record_session(name);
    return absl::OkStatus();
  }

  absl::Status Options(const YAML::Node& node, const std::string& path, RoleOptions* o) {
    if (absl::Status s = ExpectMap(node, path); !s.ok()) return s;
    std::optional<bool> require_mfa;
    std::optional<bool> require_session_mfa;
    int session_mfa_line = 0;
    absl::Status s = WalkFields(
        node, path,
        {
            {"max_session_ttl",
             [&](const YAML::Node& n, const std::string& p) {
               return Duration(n, p, o->mutable_max_session_ttl());
             }},
            {"client_idle_timeout",
             [&](const YAML::Node& n, const std::string& p) {
               return Duration(n, p, o->mutable_client_idle_timeout());
             }},
            {"request_ttl",
             [&](const YAML::Node& n, const std::string& p) {
               return Duration(n, p, o->mutable_request_ttl());
             }},
            {"require_mfa",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               require_mfa = v;
               return absl::OkStatus();
             }},
            {"require_session_mfa",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               require_session_mfa = v;
               session_mfa_line = Line(n);
               return absl::OkStatus();
             }},
            {"record_session",
             [&](const YAML::Node& n, const std::string& p) { return RecordSession(n, p, o); }},
            {"forward_agent",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               o->set_forward_agent(v);
               return absl::OkStatus();
             }},
            {"port_forwarding",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               o->set_port_forwarding(v);
               return absl::OkStatus();
             }},
            {"pin_source_ip",
             [&](const YAML::Node& n, const std::string& p) -> absl::Status {
               bool v = false;
               if (absl::Status s = Bool(n, p, &v); !s.ok()) return s;
               o->set_pin_source_ip(v);
               return absl::OkStatus();
             }},
        });
    if (!s.ok()) return s;
    if (require_mfa.has_value() && require_session_mfa.has_value() &&
        *require_mfa != *require_session_mfa) {
      return ErrorAtLine(session_mfa_line, Join(path, "require_session_mfa"),
                         "conflicts with require_mfa (require_session_mfa is an alias)");
    }
    o->set_require_mfa(require_mfa.value_or(false) || require_session_mfa.value_or(false));
    return absl::OkStatus();
  }

  absl::flat_hash_map<std::string, int> lines_;
  int visited_ = 0;
};

// Parses one YAML document node into a valid Role.
absl::StatusOr<Role> RoleFromNode(const YAML::Node& node) {
  Role role;
  RoleDocumentWalker walker;
  if (absl::Status s = walker.Walk(node, &role); !s.ok()) return s;
  // Semantic checks (shared with proto validation); map the field back to its line.
  if (absl::Status s = ValidateRole(role); !s.ok()) {
    std::optional<std::string> path = FieldPathOf(s);
    std::optional<int> line = path.has_value() ? walker.LineOf(*path) : std::nullopt;
    if (!line.has_value()) line = node.Mark().line + 1;
    return absl::InvalidArgumentError(absl::StrCat("line ", *line, ": ", s.message()));
  }
  return role;
}

// The streaming first pass over the events yaml-cpp reports, before any node is built:
// counts the nodes of each document and its nesting (throwing DocumentLimit past a limit, so
// the parse stops there), and notices yaml-cpp 0.7's LoadAll never returning on some
// malformed input (e.g. a stray "," where the root node should be: the parser reports an
// empty document without consuming the token, forever) - a document that starts where the
// previous one did.
struct DocumentLimit {
  int line;
  std::string problem;
};

class FirstPassHandler final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = documents_ > 0 && mark.pos == last_start_;
    stuck_line_ = mark.line + 1;
    last_start_ = mark.pos;
    ++documents_;
    nodes_ = 0;
    depth_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Open(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Open(mark);
  }
  void OnMapEnd() override { --depth_; }

  bool stuck() const { return stuck_; }
  int stuck_line() const { return stuck_line_; }
  int documents() const { return documents_; }

 private:
  void Node(const YAML::Mark& mark) {
    if (++nodes_ > kMaxRoleDocumentNodes) {
      throw DocumentLimit{mark.line + 1,
                          absl::StrCat("document has more than ", kMaxRoleDocumentNodes, " nodes")};
    }
  }
  void Open(const YAML::Mark& mark) {
    Node(mark);
    if (++depth_ > kMaxRoleDocumentDepth) {
      throw DocumentLimit{mark.line + 1, absl::StrCat("document nests deeper than ",
                                                      kMaxRoleDocumentDepth, " levels")};
    }
  }

  int documents_ = 0;
  int last_start_ = -1;
  bool stuck_ = false;
  int stuck_line_ = 0;
  int nodes_ = 0;
  int depth_ = 0;
};

constexpr int kMaxDocuments = 10'000;

absl::StatusOr<std::vector<YAML::Node>> LoadDocuments(absl::string_view document,
                                                      size_t max_bytes) {
  if (document.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("role document of ", document.size(),
                                                   " bytes is larger than ", max_bytes, " bytes"));
  }
  const std::string text(document);
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    FirstPassHandler handler;
    while (parser.HandleNextDocument(handler)) {
      if (handler.stuck()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", handler.stuck_line(),
            ": malformed YAML/JSON: unexpected content where a document should start"));
      }
      if (handler.documents() > kMaxDocuments) {
        return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxDocuments, " documents"));
      }
    }
    return YAML::LoadAll(text);
  } catch (const DocumentLimit& limit) {
    return absl::InvalidArgumentError(absl::StrCat("line ", limit.line, ": ", limit.problem));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("line ", e.mark.line + 1, ", column ",
                                                   e.mark.column + 1,
                                                   ": malformed YAML/JSON: ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed YAML/JSON: ", e.what()));
  }
}

absl::StatusOr<std::vector<Role>> ParseDocuments(absl::string_view document, size_t max_bytes) {
  absl::StatusOr<std::vector<YAML::Node>> nodes = LoadDocuments(document, max_bytes);
  if (!nodes.ok()) return nodes.status();
  std::vector<Role> roles;
  try {
    for (const YAML::Node& node : *nodes) {
      if (node.IsNull()) continue;  // "---" with nothing after it
      absl::StatusOr<Role> role = RoleFromNode(node);
      if (!role.ok()) return role.status();
      roles.push_back(*std::move(role));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ": malformed role document: ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed role document: ", e.what()));
  }
  return roles;
}

}  // namespace

absl::StatusOr<std::vector<YAML::Node>> LoadBoundedYamlDocuments(absl::string_view document,
                                                                 size_t max_bytes) {
  return LoadDocuments(document, max_bytes);
}

absl::StatusOr<std::vector<Role>> ParseRoleDocuments(absl::string_view document) {
  return ParseDocuments(document, kMaxRoleFileSize);
}

absl::StatusOr<Role> ParseRoleDocument(absl::string_view document) {
  absl::StatusOr<std::vector<Role>> roles = ParseDocuments(document, kMaxRoleDocumentSize);
  if (!roles.ok()) return roles.status();
  if (roles->empty()) return absl::InvalidArgumentError("empty role document");
  if (roles->size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one role document, found ", roles->size(), " (separated by ---)"));
  }
  return std::move(roles->front());
}

}  // namespace jit::policy
