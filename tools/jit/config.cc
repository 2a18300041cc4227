#include "tools/jit/config.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jit::cli {
namespace {

const std::vector<std::string>& Keys() {
  static const auto* keys = new std::vector<std::string>{
      "auth_addr", "requests_addr", "ca_addr", "policy_addr", "audit_addr", "ca_file", "timeout"};
  return *keys;
}

// "db.<NAME>.addr", "db.<NAME>.server_ca_file", "kube.<NAME>.server", "kube.<NAME>.ca_file".
bool IsTargetKey(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, '.');
  if (parts.size() != 3 || parts[1].empty()) return false;
  for (char c : parts[1]) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return (parts[0] == "db" && (parts[2] == "addr" || parts[2] == "server_ca_file")) ||
         (parts[0] == "kube" && (parts[2] == "server" || parts[2] == "ca_file"));
}

absl::Status ParseFile(const std::string& path, const std::string& text,
                       std::map<std::string, std::string>* out,
                       std::map<std::string, std::string>* targets) {
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
    const bool target = IsTargetKey(key);
    if ((!known && !target) || line.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " line ", line_no, " is not one of \"key = value\" with key ",
          "auth_addr, requests_addr, ca_addr, policy_addr, audit_addr, ca_file, timeout, ",
          "db.NAME.addr, ",
          "db.NAME.server_ca_file, kube.NAME.server or kube.NAME.ca_file; fix or remove it"));
    }
    (target ? *targets : *out)[key] = value;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CliConfig> ResolveConfig(const ConfigSources& sources) {
  std::map<std::string, std::string> values;
  std::optional<std::string> local_dir = sources.env ? sources.env("JIT_LOCAL_DIR") : std::nullopt;
  values["auth_addr"] = "localhost:7101";
  values["requests_addr"] = "localhost:7103";
  values["ca_addr"] = "localhost:7102";
  values["policy_addr"] = "localhost:7104";
  values["audit_addr"] = "localhost:7105";
  values["ca_file"] = absl::StrCat(local_dir && !local_dir->empty() ? *local_dir : kDefaultLocalDir,
                                   "/pki/internal-ca.pem");
  values["timeout"] = "10s";
  std::map<std::string, std::string> origin;
  const std::string file_path = absl::StrCat(sources.jit_dir, "/config");
  CliConfig config;
  if (sources.file_text) {
    std::map<std::string, std::string> from_file;
    if (absl::Status s = ParseFile(file_path, *sources.file_text, &from_file, &config.targets);
        !s.ok()) {
      return s;
    }
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
  config.jit_dir = sources.jit_dir;
  config.auth_addr = values["auth_addr"];
  config.requests_addr = values["requests_addr"];
  config.ca_addr = values["ca_addr"];
  config.policy_addr = values["policy_addr"];
  config.audit_addr = values["audit_addr"];
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
