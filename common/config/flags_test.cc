#include "common/config/flags.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_pool_size, 8, "test flag");
ABSL_FLAG(std::string, test_db_url, "", "test flag");
ABSL_FLAG(bool, test_verbose, false, "test flag");
ABSL_FLAG(absl::Duration, test_timeout, absl::Seconds(1), "test flag");

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

// argv as the parser sees it (argv[0] first).
absl::Status Check(std::vector<std::string> args) {
  args.insert(args.begin(), "jit-test");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return CheckCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(FlagsTest, CommandLineOfKnownFlagsAndGoodValuesPasses) {
  EXPECT_OK(Check({"--test_pool_size=4", "--test_db_url", "postgresql://db/x", "--test_verbose",
                   "--notest_verbose", "-test_timeout=2s", "--", "--not_a_flag"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_pool_size), 4);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_db_url), "postgresql://db/x");
}

TEST(FlagsTest, UnknownFlagIsNamed) {
  EXPECT_THAT(Check({"--test_pool_size=4", "--no_such_flag=1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown flag --no_such_flag"));
  EXPECT_THAT(Check({"--nono_such_flag"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown flag --nono_such_flag"));
}

TEST(FlagsTest, BadValueIsNamedWithItsFlag) {
  EXPECT_THAT(Check({"--test_pool_size=many"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--test_pool_size: ")));
  EXPECT_THAT(Check({"--test_timeout=5"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--test_timeout: ")));
  EXPECT_THAT(Check({"--test_db_url"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "--test_db_url: no value"));
}

TEST(FlagsTest, FlagFilesAndEnvironmentImportsAreRefused) {
  for (const char* arg : {"--flagfile=/etc/jit.flags", "--fromenv=x", "--tryfromenv=x"}) {
    EXPECT_THAT(Check({arg}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not supported")))
        << arg;
  }
}

TEST(FlagsTest, NegatingANonBooleanFlagIsUnknown) {
  EXPECT_THAT(Check({"--notest_pool_size"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown flag --notest_pool_size"));
}

// argv as main() gets it.
InfoRequest Info(std::vector<std::string> args) {
  args.insert(args.begin(), "jit-test");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return FindInfoRequest(static_cast<int>(argv.size()), argv.data());
}

TEST(FlagsTest, HelpAndVersionAreFoundAnywhereBeforeTheEndOfFlags) {
  EXPECT_EQ(Info({"--db_url=x", "--help"}), InfoRequest::kHelp);
  EXPECT_EQ(Info({"-h"}), InfoRequest::kHelp);
  EXPECT_EQ(Info({"--helpfull", "--no_such_flag"}), InfoRequest::kHelp);
  EXPECT_EQ(Info({"--version"}), InfoRequest::kVersion);
  EXPECT_EQ(Info({"--db_url=x"}), InfoRequest::kNone);
  EXPECT_EQ(Info({"--", "--help"}), InfoRequest::kNone);
  EXPECT_EQ(Info({"--helper=1"}), InfoRequest::kNone);
}

TEST(FlagsTest, HelpListsEveryFlagWithItsDefaultAndHelpButNotAbseilsOwn) {
  const std::string help = FlagsHelp("jit-test: a test");
  EXPECT_THAT(help, ::testing::StartsWith("jit-test: a test\n"));
  EXPECT_THAT(help, HasSubstr("  --test_pool_size (default 8)\n      test flag\n"));
  EXPECT_THAT(help, HasSubstr("  --test_db_url (default \"\")\n"));
  EXPECT_THAT(help, HasSubstr("  --test_timeout (default 1s)\n"));
  EXPECT_THAT(help, HasSubstr("  --test_verbose (default false)\n"));
  EXPECT_THAT(help, ::testing::Not(HasSubstr("--flagfile")));
  EXPECT_LT(help.find("--test_db_url"), help.find("--test_pool_size"));  // sorted
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
