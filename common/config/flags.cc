#include "common/config/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/absl_string_view.h"
#include "common/version.h"

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
      return absl::InvalidArgumentError(
          absl::StrCat(var, " (flag --", std::string(name.data(), name.size()), "): ", error));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCommandLine(int argc, char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // positional: refused after parsing
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name == "flagfile" || name == "fromenv" || name == "tryfromenv") {
      // They would pull in values this check never sees (and Abseil would end a bad one
      // with exit 1): configuration comes from flags and JIT_ variables only.
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, " is not supported; give flags directly or as JIT_ environment variables"));
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) continue;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (flag->IsOfType<bool>()) continue;
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, ": no value"));
      value = argv[++i];
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", error));
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

InfoRequest FindInfoRequest(int argc, char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpfull" ||
        arg == "-helpfull" || arg == "--helpshort" || arg == "-helpshort") {
      return InfoRequest::kHelp;
    }
    if (arg == "--version" || arg == "-version") return InfoRequest::kVersion;
  }
  return InfoRequest::kNone;
}

std::string FlagsHelp(std::string_view usage) {
  std::vector<std::pair<std::string, absl::CommandLineFlag*>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    // Abseil's own (--flagfile, --fromenv, ...) are refused or answered here.
    if (absl::StrContains(flag->Filename(), "absl/flags/")) continue;
    flags.emplace_back(std::string(name.data(), name.size()), flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = absl::StrCat(AsAbsl(usage), "\n\nFlags:\n");
  for (const auto& [name, flag] : flags) {
    std::string value = flag->DefaultValue();
    if (value.empty()) value = "\"\"";
    absl::StrAppend(&out, "  --", name, " (default ", value, ")\n      ", flag->Help(), "\n");
  }
  return out;
}

void ParseFlagsOrExit(int argc, char** argv, std::string_view usage, ParseOptions options) {
  if (argc > 0) {
    std::string_view prog = argv[0];
    const size_t slash = prog.rfind('/');
    if (slash != std::string_view::npos) prog.remove_prefix(slash + 1);
    ProgramName() = std::string(prog);
  }
  switch (FindInfoRequest(argc, argv)) {
    case InfoRequest::kHelp:
      std::fputs(FlagsHelp(usage).c_str(), stdout);
      std::fflush(stdout);
      std::exit(0);
    case InfoRequest::kVersion:
      std::printf("%s %s\n", ProgramName().c_str(), kVersion);
      std::fflush(stdout);
      std::exit(0);
    case InfoRequest::kNone:
      break;
  }
  absl::SetProgramUsageMessage(AsAbsl(usage));
  if (options.environment_overrides) {
    if (absl::Status s = ApplyEnvironmentOverrides(); !s.ok()) ExitWithConfigError(s);
  }
  // Unknown flags and bad values end here with code 2 (Abseil's parser would exit 1).
  if (absl::Status s = CheckCommandLine(argc, argv); !s.ok()) ExitWithConfigError(s);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    ExitWithConfigError(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", rest[1], "' (flags are --name=value)")));
  }
}

absl::StatusOr<std::string> ReadConfigFile(std::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(AsAbsl(flag), ": cannot read file ", path));
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
