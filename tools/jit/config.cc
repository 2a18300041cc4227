#include "tools/jit/config.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jit::cli {
namespace {

const std::vector<std::string>& Keys() {
  static const auto* keys =
      new std::vector<std::string>{"auth_addr", "requests_addr", "ca_file", "timeout"};
  return *keys;
}

absl::Status ParseFile(const std::string& path, const std::string& text,
                       std::map<std::string, std::string>* out) {
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    std::string key(absl::StripAsciiWhitespace(kv.first));
    std::string value(absl::StripAsciiWhitespace(kv.second));
    bool known = false;
    for (const std::string& k : Keys()) known |= (k == key);
    if (!known || line.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", line_no, " is not one of \"key = value\" with key ",
                       "auth_addr, requests_addr, ca_file or timeout; fix or remove it"));
    }
    (*out)[key] = value;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CliConfig> ResolveConfig(const ConfigSources& sources) {
  std::map<std::string, std::string> values;
  std::optional<std::string> local_dir = sources.env ? sources.env("JIT_LOCAL_DIR") : std::nullopt;
  values["auth_addr"] = "localhost:7101";
  values["requests_addr"] = "localhost:7103";
  values["ca_file"] = absl::StrCat(local_dir && !local_dir->empty() ? *local_dir : kDefaultLocalDir,
                                   "/pki/internal-ca.pem");
  values["timeout"] = "10s";
  std::map<std::string, std::string> origin;
  const std::string file_path = absl::StrCat(sources.jit_dir, "/config");
  if (sources.file_text) {
    std::map<std::string, std::string> from_file;
    if (absl::Status s = ParseFile(file_path, *sources.file_text, &from_file); !s.ok()) return s;
    for (auto& [k, v] : from_file) {
      values[k] = v;
      origin[k] = file_path;
    }
  }
  for (const std::string& key : Keys()) {
    std::string var = absl::StrCat("JIT_", absl::AsciiStrToUpper(key));
    if (!sources.env) break;
    if (std::optional<std::string> v = sources.env(var); v && !v->empty()) {
      values[key] = *v;
      origin[key] = absl::StrCat("$", var);
    }
  }
  for (const auto& [k, v] : sources.flags) {
    values[k] = v;
    origin[k] = absl::StrCat("--", k);
  }
  CliConfig config;
  config.jit_dir = sources.jit_dir;
  config.auth_addr = values["auth_addr"];
  config.requests_addr = values["requests_addr"];
  config.ca_file = values["ca_file"];
  if (!absl::ParseDuration(values["timeout"], &config.timeout) ||
      config.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout \"", values["timeout"], "\" (from ",
                     origin.count("timeout") ? origin["timeout"] : "default",
                     ") is not a positive duration; use a value such as 10s"));
  }
  return config;
}

}  // namespace jit::cli
