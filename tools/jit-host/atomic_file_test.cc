#include "tools/jit-host/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::host {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/jit-atomic-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  int Entries() {
    int n = 0;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n;
  }
  std::string dir_;
};

TEST_F(AtomicFileTest, ReplacesTheFileWithItsModeAndLeavesNoTemporary) {
  const std::string path = dir_ + "/krl";
  ASSERT_THAT(AtomicWriteFile(path, "one", 0600), IsOk());
  // A reader holding the old file keeps reading the old bytes: the new file is a new inode.
  std::ifstream old_reader(path);
  ASSERT_THAT(AtomicWriteFile(path, "two", 0644), IsOk());
  std::string seen;
  old_reader >> seen;
  EXPECT_EQ(seen, "one");
  EXPECT_EQ(**ReadFileIfExists(path), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(Entries(), 1);
}

TEST_F(AtomicFileTest, AFailedWriteLeavesTheOldFile) {
  const std::string path = dir_ + "/sub/krl";
  EXPECT_THAT(AtomicWriteFile(path, "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::string good = dir_ + "/krl";
  ASSERT_THAT(AtomicWriteFile(good, "old"), IsOk());
  ASSERT_EQ(mkdir((good + ".tmp." + std::to_string(getpid())).c_str(), 0700), 0);  // blocks tmp
  EXPECT_THAT(AtomicWriteFile(good, "new"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(**ReadFileIfExists(good), "old");
}

TEST_F(AtomicFileTest, ReadOfAMissingFileIsNullopt) {
  EXPECT_FALSE(ReadFileIfExists(dir_ + "/none")->has_value());
}

}  // namespace
}  // namespace jit::host
