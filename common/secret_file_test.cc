#include "common/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

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

// As the kubelet mounts a Secret for a pod with an fsGroup: root:<group>, 0440.
TEST(ReadSecretFileTest, RootOwnedGroupReadableFileIsAccepted) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own and chown the file";
  const std::string path = TempPath("root-group-secret");
  {
    std::ofstream out(path);
    out << "k8s\n";
  }
  ASSERT_EQ(::chown(path.c_str(), 0, 65534), 0);
  for (mode_t mode : {0440, 0640}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    ASSERT_OK_AND_ASSIGN(SecretString secret, ReadSecretFile(path));
    EXPECT_EQ(secret.Reveal(), "k8s");
  }
  // Group-writable, or anything for others, stays refused even for root's files.
  for (mode_t mode : {0660, 0604, 0644, 0444}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_THAT(ReadSecretFile(path), StatusIs(absl::StatusCode::kFailedPrecondition,
                                               HasSubstr("accessible by group or others")))
        << std::oct << mode;
  }
}

TEST(ReadSecretFileTest, GroupReadableFileOfAnotherOwnerIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the file";
  const std::string path = TempPath("user-group-secret");
  {
    std::ofstream out(path);
    out << "s3cret\n";
  }
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 600")));
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
