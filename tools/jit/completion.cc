#include "tools/jit/completion.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jit::cli {
namespace {

// One "case" arm per command level: the path of subcommands (" request create") and the
// words offered there.
void Walk(const CLI::App& app, const std::string& path, std::string* arms,
          std::vector<std::string>* all_names) {
  std::vector<std::string> words;
  for (const CLI::App* sub : app.get_subcommands({})) {
    words.push_back(sub->get_name());
    all_names->push_back(sub->get_name());
  }
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) words.push_back("--" + name);
  }
  absl::StrAppend(arms, "    \"", path, "\") opts=\"", absl::StrJoin(words, " "), "\" ;;\n");
  for (const CLI::App* sub : app.get_subcommands({})) {
    Walk(*sub, absl::StrCat(path, " ", sub->get_name()), arms, all_names);
  }
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  std::string arms;
  std::vector<std::string> names;
  Walk(app, "", &arms, &names);
  return absl::StrCat(
      "# bash completion for jit: eval \"$(jit completion bash)\"\n"
      "_jit() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" w opts=\"\"\n"
      "  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n"
      "    case \" ",
      absl::StrJoin(names, " "),
      " \" in *\" $w \"*) path=\"$path $w\" ;; esac\n"
      "  done\n"
      "  case \"$path\" in\n",
      arms,
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      "}\n"
      "complete -F _jit jit\n");
}

}  // namespace jit::cli
