#include "services/auth/yaml_fields.h"

#include "gtest/gtest.h"

namespace jit::auth::yaml {
namespace {

TEST(YamlFieldsTest, DirectoryOfAFileAtTheRootIsTheRoot) {
  EXPECT_EQ(DirectoryOf("/oidc.yaml"), "/");
  EXPECT_EQ(ResolvePath(DirectoryOf("/oidc.yaml"), "corp.secret"), "/corp.secret");
}

TEST(YamlFieldsTest, RelativePathsResolveAgainstTheFilesDirectory) {
  EXPECT_EQ(DirectoryOf("/etc/jit/users.yaml"), "/etc/jit");
  EXPECT_EQ(ResolvePath("/etc/jit", "alice.password"), "/etc/jit/alice.password");
  EXPECT_EQ(DirectoryOf("users.yaml"), ".");
  EXPECT_EQ(ResolvePath(".", "alice.password"), "./alice.password");
}

TEST(YamlFieldsTest, AbsoluteAndEmptyPathsStayAsTheyAre) {
  EXPECT_EQ(ResolvePath("/etc/jit", "/run/secrets/x"), "/run/secrets/x");
  EXPECT_EQ(ResolvePath("/etc/jit", ""), "");
}

}  // namespace
}  // namespace jit::auth::yaml
