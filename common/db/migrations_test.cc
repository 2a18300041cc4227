// The parts of migrations.h that need no database. migrations_pg_test runs them for real.
#include "common/db/migrations.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::db {
namespace {

using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ValidateMigrationsTest, AcceptsIncreasingVersionsWithGaps) {
  EXPECT_OK(ValidateMigrations({{1, "init", "SELECT 1"}, {2, "b", ""}, {10, "c", ""}}));
  EXPECT_OK(ValidateMigrations({}));
}

TEST(ValidateMigrationsTest, RefusesDuplicateVersionNamingBothFiles) {
  EXPECT_THAT(ValidateMigrations(
                  {{1, "init", "", "m/0001_init.sql"}, {1, "again", "", "m/0001_again.sql"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("m/0001_init.sql"), HasSubstr("m/0001_again.sql"),
                             HasSubstr("duplicated"))));
}

TEST(ValidateMigrationsTest, RefusesDecreasingVersion) {
  EXPECT_THAT(ValidateMigrations({{2, "b", ""}, {1, "a", ""}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("0001_a.sql"), HasSubstr("0002_b.sql"))));
}

TEST(ValidateMigrationsTest, RefusesVersionZeroAndEmptyName) {
  EXPECT_THAT(ValidateMigrations({{0, "zero", ""}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1")));
  EXPECT_THAT(ValidateMigrations({{1, "", ""}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty name")));
}

TEST(MigrationChecksumTest, IsHexSha256OfTheText) {
  // sha256("") and sha256("abc"), from FIPS 180-2.
  EXPECT_EQ(MigrationChecksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(MigrationChecksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace jit::db
