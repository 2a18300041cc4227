#include "common/config/flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_pool_size, 8, "test flag");
ABSL_FLAG(std::string, test_db_url, "", "test flag");

namespace jit::config {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(FlagsTest, EnvVarNameIsPrefixedUpperCase) {
  EXPECT_EQ(EnvVarForFlag("db_pool_size"), "JIT_DB_POOL_SIZE");
}

TEST(FlagsTest, EnvironmentSetsFlags) {
  setenv("JIT_TEST_POOL_SIZE", "16", 1);
  setenv("JIT_TEST_DB_URL", "postgresql://db/jit", 1);
  EXPECT_THAT(ApplyEnvironmentOverrides(), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_pool_size), 16);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_db_url), "postgresql://db/jit");
  unsetenv("JIT_TEST_POOL_SIZE");
  unsetenv("JIT_TEST_DB_URL");
}

TEST(FlagsTest, BadEnvironmentValueNamesVariableAndFlag) {
  setenv("JIT_TEST_POOL_SIZE", "many", 1);
  EXPECT_THAT(ApplyEnvironmentOverrides(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("JIT_TEST_POOL_SIZE"), HasSubstr("--test_pool_size"))));
  unsetenv("JIT_TEST_POOL_SIZE");
}

TEST(FlagsTest, ReadConfigFileStripsTrailingNewlineAndNamesFlagOnError) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/secret";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("s3cret\n", f);
  fclose(f);
  auto content = ReadConfigFile("db_password_file", path);
  ASSERT_THAT(content, IsOk());
  EXPECT_EQ(*content, "s3cret");
  EXPECT_THAT(ReadConfigFile("db_password_file", path + ".missing"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("db_password_file")));
}

}  // namespace
}  // namespace jit::config
