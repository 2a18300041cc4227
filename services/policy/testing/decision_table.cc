#include "services/policy/testing/decision_table.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/testing/fake_clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/duration.h"
#include "services/policy/policy_engine.h"
#include "services/policy/role_parser.h"
#include "services/policy/testing/fake_decision_hook.h"
#include "yaml-cpp/yaml.h"

namespace jit::policy::testing {
namespace {

namespace pb = ::jit::policy::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

absl::Status TableError(const std::string& table, int line, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(table, ":", line, ": ", problem));
}

// YAML to JSON: quoted scalars are strings; plain ones become booleans, null or numbers
// when they look like it.
nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      if (!s.empty() && s.find_first_not_of("0123456789-") == std::string::npos && s.size() < 18 &&
          s != "-") {
        return std::stoll(s);
      }
      return s;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const YAML::Node& item : node) array.push_back(YamlToJson(item));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        object[it->first.Scalar()] = YamlToJson(it->second);
      }
      return object;
    }
    default:
      return nullptr;
  }
}

bool IsDurationKey(absl::string_view key) {
  return key == "requested_duration" || key == "requestedDuration" || key == "max_duration" ||
         key == "maxDuration" || key == "request_ttl" || key == "requestTtl" || key == "max_ttl" ||
         key == "maxTtl" || key == "client_idle_timeout" || key == "clientIdleTimeout";
}

// Expands the table shorthands into proto3 JSON.
absl::Status Normalize(nlohmann::json& j, absl::string_view parent_key) {
  if (j.is_array()) {
    for (nlohmann::json& item : j) {
      if (absl::Status s = Normalize(item, parent_key); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!j.is_object()) return absl::OkStatus();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = it.key();
    nlohmann::json& value = it.value();
    if ((key == "traits" || key == "requester_traits" || key == "requesterTraits") &&
        value.is_object()) {
      for (auto trait = value.begin(); trait != value.end(); ++trait) {
        if (trait->is_array()) {
          *trait = nlohmann::json{{"values", *trait}};
        } else if (trait->is_string()) {
          *trait = nlohmann::json{{"values", nlohmann::json::array({*trait})}};
        }
      }
      continue;
    }
    if (key == "kind" && parent_key == "resource" && value.is_string()) {
      const std::string kind = value.get<std::string>();
      if (!absl::StartsWith(kind, "KIND_")) value = "KIND_" + absl::AsciiStrToUpper(kind);
      continue;
    }
    if (IsDurationKey(key) && value.is_string()) {
      // "30m"-style text becomes proto JSON's "1800s"; anything else (e.g. "-60s") is left
      // for the proto JSON parser to accept or refuse.
      absl::StatusOr<absl::Duration> d = ParseRoleDuration(value.get<std::string>());
      if (d.ok()) value = absl::StrCat(absl::ToDoubleSeconds(*d), "s");
      continue;
    }
    if (absl::Status s = Normalize(value, key); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::unique_ptr<Message> NewRequest(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kCheckAccess:
      return std::make_unique<pb::CheckAccessRequest>();
    case DecisionKind::kCheckRequest:
      return std::make_unique<pb::CheckRequestRequest>();
    case DecisionKind::kCheckReview:
      return std::make_unique<pb::CheckReviewRequest>();
    case DecisionKind::kComputeCertParams:
      return std::make_unique<pb::ComputeCertParamsRequest>();
    case DecisionKind::kCheckPermission:
      return std::make_unique<pb::CheckPermissionRequest>();
  }
  return nullptr;
}

std::unique_ptr<Message> NewResponse(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kCheckAccess:
      return std::make_unique<pb::CheckAccessResponse>();
    case DecisionKind::kCheckRequest:
      return std::make_unique<pb::CheckRequestResponse>();
    case DecisionKind::kCheckReview:
      return std::make_unique<pb::CheckReviewResponse>();
    case DecisionKind::kComputeCertParams:
      return std::make_unique<pb::ComputeCertParamsResponse>();
    case DecisionKind::kCheckPermission:
      return std::make_unique<pb::CheckPermissionResponse>();
  }
  return nullptr;
}

absl::Status JsonToMessage(const nlohmann::json& json, Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json.dump(), message, options);
  if (!status.ok()) return absl::InvalidArgumentError(status.ToString());
  return absl::OkStatus();
}

std::vector<std::string> StringOrList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const YAML::Node& item : node) out.push_back(item.Scalar());
  }
  return out;
}

bool ValidCaseName(absl::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The identities of a request (identity, user, reviewer) are valid for an hour after the
// case's `now` unless the case says otherwise: an expire_time of its own, or "none" for an
// identity without one.
void DefaultExpireTimes(absl::Time now, nlohmann::json& request) {
  for (const char* key : {"identity", "user", "reviewer"}) {
    auto it = request.find(key);
    if (it == request.end() || !it->is_object()) continue;
    auto expire = it->find("expire_time");
    if (expire == it->end()) {
      (*it)["expire_time"] =
          absl::FormatTime(absl::RFC3339_full, now + absl::Hours(1), absl::UTCTimeZone());
    } else if (expire->is_string() && expire->get<std::string>() == "none") {
      it->erase(expire);
    }
  }
}

absl::StatusOr<DecisionCase> ParseCase(const YAML::Node& node, const std::string& table) {
  DecisionCase c;
  c.table = table;
  c.line = node.Mark().line + 1;
  if (!node.IsMap()) return TableError(table, c.line, "a case must be a mapping");
  static const absl::flat_hash_set<std::string> kKnown = {"name",
                                                          "description",
                                                          "tags",
                                                          "now",
                                                          "hook",
                                                          "expect",
                                                          "explanation_contains",
                                                          "explanation_excludes",
                                                          "explanation_matches",
                                                          "error",
                                                          "check_access",
                                                          "check_request",
                                                          "check_review",
                                                          "compute_cert_params",
                                                          "check_permission"};
  int kinds = 0;
  YAML::Node request_node;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it->first.Scalar();
    if (!kKnown.contains(key)) {
      return TableError(table, it->first.Mark().line + 1,
                        absl::StrCat("unknown case key \"", key, "\""));
    }
    static const std::pair<const char*, DecisionKind> kKinds[] = {
        {"check_access", DecisionKind::kCheckAccess},
        {"check_request", DecisionKind::kCheckRequest},
        {"check_review", DecisionKind::kCheckReview},
        {"compute_cert_params", DecisionKind::kComputeCertParams},
        {"check_permission", DecisionKind::kCheckPermission}};
    for (const auto& [name, kind] : kKinds) {
      if (key == name) {
        c.kind = kind;
        request_node = it->second;
        ++kinds;
      }
    }
  }
  c.name = node["name"] ? node["name"].Scalar() : "";
  if (!ValidCaseName(c.name)) {
    return TableError(table, c.line,
                      absl::StrCat("case name \"", c.name, "\" must be non-empty [A-Za-z0-9_]"));
  }
  const std::string where = absl::StrCat("case ", c.name);
  if (kinds != 1) {
    return TableError(table, c.line,
                      absl::StrCat(where,
                                   ": needs exactly one of check_access, "
                                   "check_request, check_review, "
                                   "compute_cert_params, check_permission"));
  }
  if (node["now"]) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, node["now"].Scalar(), &c.now, &err)) {
      return TableError(table, c.line, absl::StrCat(where, ": now: ", err));
    }
  }
  nlohmann::json request_json = YamlToJson(request_node);
  if (absl::Status s = Normalize(request_json, ""); !s.ok()) {
    return TableError(table, c.line, absl::StrCat(where, ": ", s.message()));
  }
  DefaultExpireTimes(c.now, request_json);
  std::unique_ptr<Message> request = NewRequest(c.kind);
  if (absl::Status s = JsonToMessage(request_json, request.get()); !s.ok()) {
    return TableError(table, c.line, absl::StrCat(where, ": request: ", s.message()));
  }
  c.request = std::move(request);
  if (node["tags"]) c.tags = StringOrList(node["tags"]);
  if (const YAML::Node hook = node["hook"]) {
    if (hook["error"]) {
      const std::string name = hook["error"].Scalar();
      absl::StatusCode code;
      if (name == "DEADLINE_EXCEEDED") {
        code = absl::StatusCode::kDeadlineExceeded;
      } else if (name == "UNAVAILABLE") {
        code = absl::StatusCode::kUnavailable;
      } else if (name == "INVALID_ARGUMENT") {
        code = absl::StatusCode::kInvalidArgument;
      } else {
        return TableError(table, c.line,
                          absl::StrCat(where, ": unknown hook error \"", name, "\""));
      }
      c.hook = absl::StatusOr<HookVerdict>(absl::Status(code, "fake hook error"));
    } else {
      HookVerdict verdict;
      verdict.allow = hook["allow"] && hook["allow"].Scalar() == "true";
      if (hook["reason"]) verdict.reason = hook["reason"].Scalar();
      c.hook = absl::StatusOr<HookVerdict>(verdict);
    }
  }
  if (const YAML::Node error = node["error"]) {
    const std::string code_name = error["code"] ? error["code"].Scalar() : "";
    static const std::pair<const char*, absl::StatusCode> kCodes[] = {
        {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
        {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
        {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
        {"NOT_FOUND", absl::StatusCode::kNotFound}};
    for (const auto& [name, code] : kCodes) {
      if (code_name == name) c.error_code = code;
    }
    if (!c.error_code.has_value()) {
      return TableError(table, c.line,
                        absl::StrCat(where, ": unknown error code \"", code_name, "\""));
    }
    if (error["contains"]) c.error_contains = error["contains"].Scalar();
  }
  if (const YAML::Node expect = node["expect"]) {
    c.expect = YamlToJson(expect);
    if (absl::Status s = Normalize(c.expect, ""); !s.ok()) {
      return TableError(table, c.line, absl::StrCat(where, ": expect: ", s.message()));
    }
    std::unique_ptr<Message> response = NewResponse(c.kind);
    if (absl::Status s = JsonToMessage(c.expect, response.get()); !s.ok()) {
      return TableError(table, c.line, absl::StrCat(where, ": expect: ", s.message()));
    }
  }
  if (node["explanation_contains"])
    c.explanation_contains = StringOrList(node["explanation_contains"]);
  if (node["explanation_excludes"])
    c.explanation_excludes = StringOrList(node["explanation_excludes"]);
  if (const YAML::Node matches = node["explanation_matches"]) {
    for (const YAML::Node& m : matches) c.explanation_matches.push_back(YamlToJson(m));
  }
  if (c.error_code.has_value() && (!c.expect.empty() || !c.explanation_contains.empty())) {
    return TableError(table, c.line,
                      absl::StrCat(where, ": an error case has no response to expect"));
  }
  if (!c.error_code.has_value() && c.expect.empty()) {
    return TableError(table, c.line, absl::StrCat(where, ": needs expect or error"));
  }
  return c;
}

// Compares the fields named in `keys` (recursing into singular messages).
void ComparePartial(const Message& expected, const Message& actual, const nlohmann::json& keys,
                    const std::string& path, std::vector<std::string>* failures) {
  const Descriptor* descriptor = expected.GetDescriptor();
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    const FieldDescriptor* field = descriptor->FindFieldByName(it.key());
    for (int i = 0; field == nullptr && i < descriptor->field_count(); ++i) {
      if (descriptor->field(i)->json_name() == it.key()) field = descriptor->field(i);
    }
    if (field == nullptr) {
      failures->push_back(absl::StrCat(path, it.key(), ": no such field"));
      continue;
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() &&
        it.value().is_object()) {
      ComparePartial(expected.GetReflection()->GetMessage(expected, field),
                     actual.GetReflection()->GetMessage(actual, field), it.value(),
                     absl::StrCat(path, field->name(), "."), failures);
      continue;
    }
    google::protobuf::util::MessageDifferencer differencer;
    std::string report;
    differencer.ReportDifferencesToString(&report);
    if (!differencer.CompareWithFields(expected, actual, {field}, {field})) {
      failures->push_back(
          absl::StrCat(path, field->name(), " differs (expected vs actual):\n", report));
    }
  }
}

const pb::Explanation* ExplanationOf(const Message& response) {
  const FieldDescriptor* field = response.GetDescriptor()->FindFieldByName("explanation");
  if (field == nullptr) return nullptr;
  return static_cast<const pb::Explanation*>(
      &response.GetReflection()->GetMessage(response, field));
}

bool RuleMatchMatches(const pb::RuleMatch& m, const nlohmann::json& want) {
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = want.find(key);
    if (it == want.end()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  if (auto v = str("role"); v && *v != m.role()) return false;
  if (auto v = str("side"); v && *v != m.side()) return false;
  if (auto v = str("field"); v && *v != m.field()) return false;
  if (auto v = str("detail_contains"); v && !absl::StrContains(m.detail(), *v)) return false;
  if (auto it = want.find("matched");
      it != want.end() && it->is_boolean() && it->get<bool>() != m.matched()) {
    return false;
  }
  return true;
}

}  // namespace

void PrintTo(const DecisionCase& c, std::ostream* os) {
  *os << c.table << ".yaml:" << c.line << " " << c.name;
}

const char* DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kCheckAccess:
      return "check_access";
    case DecisionKind::kCheckRequest:
      return "check_request";
    case DecisionKind::kCheckReview:
      return "check_review";
    case DecisionKind::kComputeCertParams:
      return "compute_cert_params";
    case DecisionKind::kCheckPermission:
      return "check_permission";
  }
  return "?";
}

absl::StatusOr<DecisionTable> LoadDecisionTable(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  DecisionTable table;
  table.path = path;
  table.name = std::filesystem::path(path).stem().string();
  for (char& ch : table.name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return TableError(path, e.mark.line + 1, e.what());
  }
  if (!root.IsMap()) return TableError(path, 1, "a table must be a mapping");
  try {
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string& key = it->first.Scalar();
      if (key != "description" && key != "roles" && key != "role_files" && key != "cases") {
        return TableError(path, it->first.Mark().line + 1,
                          absl::StrCat("unknown table key \"", key, "\""));
      }
    }
    if (const YAML::Node files = root["role_files"]) {
      const std::filesystem::path dir = std::filesystem::path(path).parent_path();
      for (const YAML::Node& file : files) {
        absl::StatusOr<std::string> doc = ReadFile((dir / file.Scalar()).string());
        if (!doc.ok()) return doc.status();
        absl::StatusOr<std::vector<jit::common::v1::Role>> roles = ParseRoleDocuments(*doc);
        if (!roles.ok()) {
          return TableError(path, file.Mark().line + 1,
                            absl::StrCat(file.Scalar(), ": ", roles.status().message()));
        }
        table.roles.insert(table.roles.end(), roles->begin(), roles->end());
      }
    }
    if (const YAML::Node roles = root["roles"]) {
      for (const YAML::Node& role_node : roles) {
        absl::StatusOr<jit::common::v1::Role> role = ParseRoleDocument(YAML::Dump(role_node));
        if (!role.ok()) {
          return TableError(path, role_node.Mark().line + 1,
                            absl::StrCat("role: ", role.status().message()));
        }
        table.roles.push_back(*std::move(role));
      }
    }
    absl::flat_hash_set<std::string> names;
    for (const YAML::Node& case_node : root["cases"]) {
      absl::StatusOr<DecisionCase> c = ParseCase(case_node, table.name);
      if (!c.ok()) {
        return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
      }
      if (!names.insert(c->name).second) {
        return TableError(path, c->line, absl::StrCat("duplicate case name \"", c->name, "\""));
      }
      table.cases.push_back(*std::move(c));
    }
  } catch (const YAML::Exception& e) {
    return TableError(path, e.mark.line + 1, e.what());
  }
  return table;
}

absl::StatusOr<std::vector<DecisionTable>> LoadDecisionTables(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  }
  if (ec) return absl::NotFoundError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(paths.begin(), paths.end());
  std::vector<DecisionTable> tables;
  for (const std::string& path : paths) {
    absl::StatusOr<DecisionTable> table = LoadDecisionTable(path);
    if (!table.ok()) return table.status();
    tables.push_back(*std::move(table));
  }
  return tables;
}

DecisionOutcome RunCaseAgainstLogic(const DecisionCase& c, const RoleSnapshot& snapshot) {
  // The engine reads through a holder; give it a non-owning view of `snapshot`.
  RoleSnapshotHolder holder(
      std::shared_ptr<const RoleSnapshot>(&snapshot, [](const RoleSnapshot*) {}));
  FakeClock clock(c.now);
  std::optional<FakeDecisionHook> hook;
  if (c.hook.has_value()) hook.emplace(*c.hook);
  PolicyEngine engine(&holder, &clock, hook.has_value() ? &*hook : nullptr);
  auto wrap = [](auto result) -> DecisionOutcome {
    if (!result.ok()) return result.status();
    using T = typename decltype(result)::value_type;
    return std::shared_ptr<Message>(std::make_shared<T>(*std::move(result)));
  };
  switch (c.kind) {
    case DecisionKind::kCheckAccess:
      return wrap(engine.CheckAccess(static_cast<const pb::CheckAccessRequest&>(*c.request)));
    case DecisionKind::kCheckRequest:
      return wrap(engine.CheckRequest(static_cast<const pb::CheckRequestRequest&>(*c.request)));
    case DecisionKind::kCheckReview:
      return wrap(engine.CheckReview(static_cast<const pb::CheckReviewRequest&>(*c.request)));
    case DecisionKind::kComputeCertParams:
      return wrap(
          engine.ComputeCertParams(static_cast<const pb::ComputeCertParamsRequest&>(*c.request)));
    case DecisionKind::kCheckPermission:
      return wrap(
          engine.CheckPermission(static_cast<const pb::CheckPermissionRequest&>(*c.request)));
  }
  return absl::InternalError("unknown decision kind");
}

std::vector<std::string> CheckOutcome(const DecisionCase& c, const DecisionOutcome& outcome) {
  std::vector<std::string> failures;
  if (c.error_code.has_value()) {
    if (outcome.ok()) {
      const pb::Explanation* e = ExplanationOf(**outcome);
      failures.push_back(absl::StrCat("expected error ", absl::StatusCodeToString(*c.error_code),
                                      ", got a response",
                                      e ? absl::StrCat(": ", e->summary()) : ""));
      return failures;
    }
    if (outcome.status().code() != *c.error_code) {
      failures.push_back(absl::StrCat("expected error ", absl::StatusCodeToString(*c.error_code),
                                      ", got ", outcome.status().ToString()));
    }
    if (!absl::StrContains(outcome.status().message(), c.error_contains)) {
      failures.push_back(absl::StrCat("error \"", outcome.status().message(),
                                      "\" does not contain \"", c.error_contains, "\""));
    }
    return failures;
  }
  if (!outcome.ok()) {
    failures.push_back(absl::StrCat("expected a response, got ", outcome.status().ToString()));
    return failures;
  }
  const Message& actual = **outcome;
  std::unique_ptr<Message> expected(actual.New());
  if (absl::Status s = JsonToMessage(c.expect, expected.get()); !s.ok()) {
    failures.push_back(absl::StrCat("expect: ", s.message()));
    return failures;
  }
  ComparePartial(*expected, actual, c.expect, "", &failures);
  const pb::Explanation* explanation = ExplanationOf(actual);
  const std::string summary = explanation != nullptr ? explanation->summary() : "";
  for (const std::string& want : c.explanation_contains) {
    if (!absl::StrContains(summary, want)) {
      failures.push_back(absl::StrCat("explanation \"", summary, "\" lacks \"", want, "\""));
    }
  }
  for (const std::string& unwanted : c.explanation_excludes) {
    if (absl::StrContains(summary, unwanted)) {
      failures.push_back(absl::StrCat("explanation \"", summary, "\" contains \"", unwanted, "\""));
    }
  }
  for (const nlohmann::json& want : c.explanation_matches) {
    bool found = false;
    if (explanation != nullptr) {
      for (const pb::RuleMatch& m : explanation->matches())
        found = found || RuleMatchMatches(m, want);
    }
    if (!found) {
      failures.push_back(absl::StrCat("no explanation match like ", want.dump(), " in:\n",
                                      explanation ? explanation->DebugString() : "(none)"));
    }
  }
  if (!failures.empty()) {
    failures.push_back(absl::StrCat("actual response:\n", actual.DebugString()));
  }
  return failures;
}

}  // namespace jit::policy::testing
