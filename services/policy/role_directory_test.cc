#include "services/policy/role_directory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class RoleDirectoryTest : public ::testing::Test {
 protected:
  RoleDirectoryTest() {
    dir_ = std::filesystem::path(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RoleDirectoryTest, LoadsYamlAndJsonFilesInNameOrder) {
  Write("b.yaml",
        "kind: role\nversion: v7\nmetadata: {name: b}\n---\n"
        "kind: role\nversion: v7\nmetadata: {name: c}\n");
  Write("a.json", R"({"kind": "role", "version": "v6", "metadata": {"name": "a"}})");
  Write("notes.txt", "not a role");
  ASSERT_OK_AND_ASSIGN(auto roles, LoadRoleDirectory(dir_.string()));
  ASSERT_EQ(roles.size(), 3u);
  EXPECT_EQ(roles[0].metadata().name(), "a");
  EXPECT_EQ(roles[2].metadata().name(), "c");
}

TEST_F(RoleDirectoryTest, ErrorNamesTheFile) {
  Write("bad.yml", "kind: role\nversion: v7\nmetadata: {name: x}\nspec: {allow: {lgins: [a]}}\n");
  EXPECT_THAT(LoadRoleDirectory(dir_.string()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.yml: line 4")));
}

TEST_F(RoleDirectoryTest, SameRoleInTwoFilesIsAConflict) {
  Write("one.yaml", "kind: role\nversion: v7\nmetadata: {name: x}\n");
  Write("two.yaml", "kind: role\nversion: v7\nmetadata: {name: x}\n");
  EXPECT_THAT(LoadRoleDirectory(dir_.string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("role \"x\" is defined in both one.yaml and two.yaml")));
}

TEST_F(RoleDirectoryTest, MissingDirectoryIsNotFound) {
  EXPECT_THAT(LoadRoleDirectory((dir_ / "nope").string()), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace jit::policy
