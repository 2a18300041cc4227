// Strict reading of the auth service's small YAML configuration files (bootstrap users,
// OIDC connectors): every error is INVALID_ARGUMENT naming the file, the line and the field
// path ("users[1].roles[0]"); unknown keys are errors, never ignored. Internal to
// services/auth; yaml-cpp exceptions never leave these functions.
#ifndef JIT_SERVICES_AUTH_YAML_FIELDS_H_
#define JIT_SERVICES_AUTH_YAML_FIELDS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace jit::auth::yaml {

// The whole text of a configuration file. FAILED_PRECONDITION when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// The directory of `path`, against which the paths a file names are resolved: "." for a
// bare name, "/" for a file at the root.
std::string DirectoryOf(const std::string& path);
// `path` as a file named in a configuration file in `base_dir` means it: absolute paths and
// "" unchanged, relative ones under `base_dir`.
std::string ResolvePath(const std::string& base_dir, const std::string& path);
// Parses a document that must be a mapping. INVALID_ARGUMENT with the parser's line for bad
// YAML.
absl::StatusOr<YAML::Node> LoadString(const std::string& text, const std::string& source);

// Field readers. `source` names the file in messages; `path` the field.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  absl::Status Error(const YAML::Node& node, const std::string& path, const std::string& why) const;

  using FieldFn = std::function<absl::Status(const YAML::Node&, const std::string&)>;
  // A mapping whose keys must all be in `fields` (each called with the value and its path).
  // `required` keys must be present.
  absl::Status Map(const YAML::Node& node, const std::string& path,
                   const std::map<std::string, FieldFn>& fields,
                   const std::vector<std::string>& required = {}) const;
  absl::Status List(
      const YAML::Node& node, const std::string& path,
      const std::function<absl::Status(const YAML::Node&, const std::string&)>& item) const;
  absl::Status String(const YAML::Node& node, const std::string& path, std::string* out) const;
  absl::Status StringList(const YAML::Node& node, const std::string& path,
                          std::vector<std::string>* out) const;
  absl::Status Bool(const YAML::Node& node, const std::string& path, bool* out) const;
  // "10m", "1h30m" (absl::ParseDuration), positive.
  absl::Status Duration(const YAML::Node& node, const std::string& path, absl::Duration* out) const;
  // {key: [values]} (a single scalar value is a one-element list).
  absl::Status StringListMap(const YAML::Node& node, const std::string& path,
                             std::map<std::string, std::vector<std::string>>* out) const;

 private:
  const std::string source_;
};

}  // namespace jit::auth::yaml

#endif  // JIT_SERVICES_AUTH_YAML_FIELDS_H_
