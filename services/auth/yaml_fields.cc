#include "services/auth/yaml_fields.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jit::auth::yaml {

absl::StatusOr<YAML::Node> LoadString(const std::string& text, const std::string& source) {
  try {
    YAML::Node node = YAML::Load(text);
    if (!node.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": must be a YAML mapping"));
    }
    return node;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(path, ": cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::FailedPreconditionError(absl::StrCat(path, ": cannot be read"));
  return buffer.str();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  if (base_dir == "/") return absl::StrCat("/", path);
  return absl::StrCat(base_dir, "/", path);
}

absl::Status Reader::Error(const YAML::Node& node, const std::string& path,
                           const std::string& why) const {
  const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
  return absl::InvalidArgumentError(line > 0
                                        ? absl::StrCat(source_, ":", line, ": ", path, ": ", why)
                                        : absl::StrCat(source_, ": ", path, ": ", why));
}

absl::Status Reader::Map(const YAML::Node& node, const std::string& path,
                         const std::map<std::string, FieldFn>& fields,
                         const std::vector<std::string>& required) const {
  if (!node.IsMap()) return Error(node, path, "must be a mapping");
  std::set<std::string> seen;
  try {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) return Error(key, path, "keys must be strings");
      const std::string name = key.Scalar();
      const std::string field = path.empty() ? name : absl::StrCat(path, ".", name);
      const auto fn = fields.find(name);
      if (fn == fields.end()) {
        std::vector<std::string> known;
        for (const auto& [k, f] : fields) known.push_back(k);
        return Error(key, field,
                     absl::StrCat("unknown field (known: ", absl::StrJoin(known, ", "), ")"));
      }
      if (!seen.insert(name).second) return Error(key, field, "given twice");
      if (absl::Status s = fn->second(it->second, field); !s.ok()) return s;
    }
  } catch (const YAML::Exception& e) {
    return Error(node, path, e.msg);
  }
  for (const std::string& r : required) {
    if (!seen.contains(r)) {
      return Error(node, path.empty() ? r : absl::StrCat(path, ".", r), "required");
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::List(
    const YAML::Node& node, const std::string& path,
    const std::function<absl::Status(const YAML::Node&, const std::string&)>& item) const {
  if (!node.IsSequence()) return Error(node, path, "must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    if (absl::Status s = item(node[i], absl::StrCat(path, "[", i, "]")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Reader::String(const YAML::Node& node, const std::string& path,
                            std::string* out) const {
  if (!node.IsScalar()) return Error(node, path, "must be a string");
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status Reader::StringList(const YAML::Node& node, const std::string& path,
                                std::vector<std::string>* out) const {
  out->clear();
  return List(node, path, [&](const YAML::Node& item, const std::string& p) -> absl::Status {
    std::string value;
    if (absl::Status s = String(item, p, &value); !s.ok()) return s;
    out->push_back(std::move(value));
    return absl::OkStatus();
  });
}

absl::Status Reader::Bool(const YAML::Node& node, const std::string& path, bool* out) const {
  if (node.IsScalar()) {
    const std::string& v = node.Scalar();
    if (v == "true") {
      *out = true;
      return absl::OkStatus();
    }
    if (v == "false") {
      *out = false;
      return absl::OkStatus();
    }
  }
  return Error(node, path, "must be true or false");
}

absl::Status Reader::Duration(const YAML::Node& node, const std::string& path,
                              absl::Duration* out) const {
  std::string text;
  if (absl::Status s = String(node, path, &text); !s.ok()) return s;
  if (!absl::ParseDuration(text, out) || *out <= absl::ZeroDuration()) {
    return Error(node, path, "must be a positive duration such as 10m");
  }
  return absl::OkStatus();
}

absl::Status Reader::StringListMap(const YAML::Node& node, const std::string& path,
                                   std::map<std::string, std::vector<std::string>>* out) const {
  if (!node.IsMap()) return Error(node, path, "must be a mapping of lists");
  out->clear();
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) return Error(key, path, "keys must be strings");
    const std::string field = absl::StrCat(path, ".", key.Scalar());
    std::vector<std::string> values;
    if (it->second.IsScalar()) {
      values.push_back(it->second.Scalar());
    } else if (absl::Status s = StringList(it->second, field, &values); !s.ok()) {
      return s;
    }
    if (!out->emplace(key.Scalar(), std::move(values)).second) {
      return Error(key, field, "given twice");
    }
  }
  return absl::OkStatus();
}

}  // namespace jit::auth::yaml
