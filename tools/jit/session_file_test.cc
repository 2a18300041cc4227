#include "tools/jit/session_file.h"

#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = absl::StrCat(std::getenv("TEST_TMPDIR"), "/XXXXXX");
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(SessionFileTest, SavedTokenIsPrivateAndLoadsBack) {
  std::string jit_dir = TempDir() + "/.jit";
  EXPECT_THAT(LoadSessionToken(jit_dir),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("jit login")));
  ASSERT_OK(SaveSessionToken(jit_dir, "tok-1"));
  EXPECT_EQ(Mode(jit_dir), 0700);
  EXPECT_EQ(Mode(jit_dir + "/session"), 0600);
  EXPECT_THAT(LoadSessionToken(jit_dir), ::jit::testing::IsOkAndHolds(std::string("tok-1")));
  ASSERT_OK(SaveSessionToken(jit_dir, "tok-2"));
  EXPECT_THAT(LoadSessionToken(jit_dir), ::jit::testing::IsOkAndHolds(std::string("tok-2")));
  ASSERT_OK(RemoveSessionToken(jit_dir));
  ASSERT_OK(RemoveSessionToken(jit_dir));
  EXPECT_THAT(LoadSessionToken(jit_dir), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SessionFileTest, LooseDirectoryIsTightenedAndReadableTokenRefused) {
  std::string jit_dir = TempDir() + "/.jit";
  ASSERT_EQ(mkdir(jit_dir.c_str(), 0755), 0);
  ASSERT_OK(SaveSessionToken(jit_dir, "tok"));
  EXPECT_EQ(Mode(jit_dir), 0700);
  ASSERT_EQ(chmod((jit_dir + "/session").c_str(), 0644), 0);
  EXPECT_THAT(LoadSessionToken(jit_dir),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 600")));
}

}  // namespace
}  // namespace jit::cli
