// Command-line flags (Abseil flags) with environment-variable overrides.
//
// Every flag `--foo_bar` may also be given as the environment variable JIT_FOO_BAR (handy in
// Kubernetes manifests); an explicit command-line flag wins over the environment. Flags are
// parsed and validated once at start-up: a bad flag or value ends the process with exit
// code 2 and one line naming the flag.
#ifndef JIT_COMMON_CONFIG_FLAGS_H_
#define JIT_COMMON_CONFIG_FLAGS_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::config {

// The environment variable that overrides flag `name`: "JIT_" + upper-case name.
std::string EnvVarForFlag(std::string_view flag_name);

// Sets every registered flag that has an environment override. INVALID_ARGUMENT names the
// variable and the flag when a value does not parse.
absl::Status ApplyEnvironmentOverrides();

// Applies environment overrides, then parses argv. On any error (unknown flag, bad value,
// positional arguments) prints "<program>: <reason>" to stderr and exits with code 2.
void ParseFlagsOrExit(int argc, char** argv, std::string_view usage);

// Prints "<program>: config error: <status message>" and exits with code 2.
[[noreturn]] void ExitWithConfigError(const absl::Status& status);

// Reads a whole small file holding a secret or setting (trailing newline removed).
// FAILED_PRECONDITION names `flag` when the file is missing or unreadable.
absl::StatusOr<std::string> ReadConfigFile(absl::string_view flag, const std::string& path);

}  // namespace jit::config

#endif  // JIT_COMMON_CONFIG_FLAGS_H_
