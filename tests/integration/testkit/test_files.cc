#include "tests/integration/testkit/test_files.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/testing/runfiles.h"

namespace jit::testkit {

absl::Status WriteTestFile(const std::string& path, const std::string& content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeTestDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const std::string path =
      jit::testing::TestTempPath(absl::StrCat(prefix, "-", counter.fetch_add(1)));
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", path, ": ", strerror(errno)));
  }
  return path;
}

}  // namespace jit::testkit
