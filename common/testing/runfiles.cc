#include "common/testing/runfiles.h"

#include <cstdlib>

namespace jit::testing {

std::string RunfilePath(const std::string& workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_relative;
  return std::string(srcdir) + "/" + (workspace != nullptr ? workspace : "jit_access") + "/" +
         workspace_relative;
}

std::string TestTempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

}  // namespace jit::testing
