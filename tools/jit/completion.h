// `jit completion bash`: a bash completion script generated from the CLI11 command tree
// itself, so it offers exactly the subcommands and options the binary has. Completion
// walks the words typed so far, keeps those that name a subcommand at the current level,
// and offers that level's subcommands and long options. Pure (no I/O).
#ifndef JIT_TOOLS_JIT_COMPLETION_H_
#define JIT_TOOLS_JIT_COMPLETION_H_

#include <string>

#include "CLI/CLI.hpp"

namespace jit::cli {

std::string BashCompletion(const CLI::App& app);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_COMPLETION_H_
