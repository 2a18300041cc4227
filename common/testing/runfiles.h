// Where a Bazel test finds its data and scratch space.
#ifndef JIT_COMMON_TESTING_RUNFILES_H_
#define JIT_COMMON_TESTING_RUNFILES_H_

#include <string>

namespace jit::testing {

// Path of a runfile from its workspace-relative path ("services/auth/jit-auth").
std::string RunfilePath(const std::string& workspace_relative);

// $TEST_TMPDIR/<name> (or /tmp/<name> outside Bazel).
std::string TestTempPath(const std::string& name);

}  // namespace jit::testing

#endif  // JIT_COMMON_TESTING_RUNFILES_H_
