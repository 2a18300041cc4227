#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace jit::config {
namespace {

std::string& ProgramName() {
  static std::string* name = new std::string("jit");
  return *name;
}

}  // namespace

std::string EnvVarForFlag(std::string_view flag_name) {
  return absl::StrCat("JIT_", absl::AsciiStrToUpper(std::string(flag_name)));
}

absl::Status ApplyEnvironmentOverrides() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string var = EnvVarForFlag(std::string(name.data(), name.size()));
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          var, " (flag --", std::string(name.data(), name.size()), "): ", error));
    }
  }
  return absl::OkStatus();
}

void ExitWithConfigError(const absl::Status& status) {
  std::fprintf(stderr, "%s: config error: %s\n", ProgramName().c_str(),
               std::string(status.message()).c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

void ParseFlagsOrExit(int argc, char** argv, std::string_view usage) {
  if (argc > 0) {
    std::string_view prog = argv[0];
    const size_t slash = prog.rfind('/');
    if (slash != std::string_view::npos) prog.remove_prefix(slash + 1);
    ProgramName() = std::string(prog);
  }
  absl::SetProgramUsageMessage(absl::string_view(usage.data(), usage.size()));
  if (absl::Status s = ApplyEnvironmentOverrides(); !s.ok()) ExitWithConfigError(s);
  // Abseil reports unknown flags and unparsable values itself and exits with code 1.
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    ExitWithConfigError(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", rest[1], "' (flags are --name=value)")));
  }
}

absl::StatusOr<std::string> ReadConfigFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": cannot read file ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  return content;
}

}  // namespace jit::config
