// Command-line flags (Abseil flags) with environment-variable overrides.
//
// Every flag `--foo_bar` may also be given as the environment variable JIT_FOO_BAR (handy in
// Kubernetes manifests); an explicit command-line flag wins over the environment. Flags are
// parsed and validated once at start-up: a bad flag or value ends the process with exit
// code 2 and one line naming the flag. `--help` prints every flag the program takes with
// its default and `--version` the version; both exit 0.
#ifndef JIT_COMMON_CONFIG_FLAGS_H_
#define JIT_COMMON_CONFIG_FLAGS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::config {

// The environment variable that overrides flag `name`: "JIT_" + upper-case name.
std::string EnvVarForFlag(std::string_view flag_name);

// Sets every registered flag that has an environment override. INVALID_ARGUMENT names the
// variable and the flag when a value does not parse.
absl::Status ApplyEnvironmentOverrides();

// Checks every flag on the command line the way Abseil's parser would read it (--name=value,
// --name value, --bool_flag, --nobool_flag; nothing after "--"), setting the flags it
// checks: INVALID_ARGUMENT "unknown flag --x" or "--x: <why the value is bad>". Abseil's
// own parser reports those itself and exits 1, which this project keeps for "cannot reach
// the database"; ParseFlagsOrExit calls this first.
absl::Status CheckCommandLine(int argc, char* const* argv);

// What a command line asks for instead of running: --help (also -h, -help, --helpfull,
// --helpshort) or --version (-version), anywhere before "--".
enum class InfoRequest { kNone, kHelp, kVersion };
InfoRequest FindInfoRequest(int argc, char* const* argv);

// `usage`, then every flag of the program (not Abseil's own), sorted by name, each with its
// default and its help line.
std::string FlagsHelp(std::string_view usage);

struct ParseOptions {
  // Apply JIT_<FLAG> environment variables (off for tools whose flags must be explicit).
  bool environment_overrides = true;
};

// Answers --help / --version on stdout (exit 0). Otherwise applies environment overrides,
// then parses argv. On any error (unknown flag, bad value, positional arguments) prints
// "<program>: config error: <reason>" to stderr and exits with code 2.
void ParseFlagsOrExit(int argc, char** argv, std::string_view usage, ParseOptions options = {});

// Prints "<program>: config error: <status message>" and exits with code 2.
[[noreturn]] void ExitWithConfigError(const absl::Status& status);

// Reads a whole small file holding a secret or setting (trailing newline removed).
// FAILED_PRECONDITION names `flag` when the file is missing or unreadable.
absl::StatusOr<std::string> ReadConfigFile(std::string_view flag, const std::string& path);

}  // namespace jit::config

#endif  // JIT_COMMON_CONFIG_FLAGS_H_
