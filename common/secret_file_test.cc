#include "common/secret_file.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/" + name;
}

TEST(ReadSecretFileTest, ReadsTrimsAndChecksPermissions) {
  const std::string path = TempPath("client-secret");
  {
    std::ofstream out(path);
    out << "s3cret\n";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_OK_AND_ASSIGN(SecretString secret, ReadSecretFile(path));
  EXPECT_EQ(secret.Reveal(), "s3cret");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 600")));
  EXPECT_THAT(ReadSecretFile(path + ".missing"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ReadSecretFileTest, EmptyFileIsRefused) {
  const std::string path = TempPath("empty-secret");
  {
    std::ofstream out(path);
    out << "\n";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
}

TEST(ReadSecretFileTest, DirectoryIsRefused) {
  EXPECT_THAT(ReadSecretFile(TempPath("")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("regular file")));
}

}  // namespace
}  // namespace jit
