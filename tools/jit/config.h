// Where the jit CLI finds the services and its own files. Each setting comes from, in rising
// precedence: the default (the local constellation of deploy/local/up.sh), the config file
// (~/.jit/config, "key = value" lines, '#' comments), the environment (JIT_<KEY> upper
// case), then a command-line flag. Keys: auth_addr, requests_addr, ca_addr, policy_addr,
// audit_addr, ca_file, timeout. The file may also name databases and clusters for `jit db connect`
// and `jit kube login`: db.<NAME>.addr (host:port), db.<NAME>.server_ca_file (PEM the server's
// certificate chains to), kube.<NAME>.server (https URL), kube.<NAME>.ca_file; flags of those
// commands override them. An unknown key in the file, or a timeout that is not a positive duration,
// is an error naming the file or variable to fix. Pure: the caller reads the file and the
// environment.
#ifndef JIT_TOOLS_JIT_CONFIG_H_
#define JIT_TOOLS_JIT_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jit::cli {

struct CliConfig {
  std::string jit_dir;  // ~/.jit: config, session token, keys and certificates
  std::string auth_addr;
  std::string requests_addr;
  std::string ca_addr;
  std::string policy_addr;
  std::string audit_addr;
  std::string ca_file;  // PEM bundle that the services' TLS certificates chain to
  absl::Duration timeout;
  // "db.<NAME>.addr" etc. from the file, as written.
  std::map<std::string, std::string> targets;
};

struct ConfigSources {
  std::string jit_dir;                   // $JIT_HOME, else $HOME/.jit
  std::optional<std::string> file_text;  // contents of <jit_dir>/config, if it exists
  std::function<std::optional<std::string>(const std::string&)> env;  // getenv
  std::map<std::string, std::string> flags;  // key -> value given on the command line
};

// The local constellation's state directory ($JIT_LOCAL_DIR of up.sh) decides ca_file's
// default: <local_dir>/pki/internal-ca.pem.
inline constexpr char kDefaultLocalDir[] = "/var/tmp/jit-access-local";

absl::StatusOr<CliConfig> ResolveConfig(const ConfigSources& sources);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_CONFIG_H_
