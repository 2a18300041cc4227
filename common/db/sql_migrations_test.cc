// jit_sql_migrations (//bazel:sql_migrations.bzl) on common/db/testdata/*.sql.
#include <fstream>
#include <sstream>
#include <string>

#include "common/db/migrations.h"
#include "common/db/testdata_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::db {
namespace {

std::string ReadRunfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SqlMigrationsTest, VersionsAndNamesComeFromFileNamesInVersionOrder) {
  const std::vector<Migration> migrations = testdata::Migrations();
  ASSERT_EQ(migrations.size(), 3u);
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "create_widgets");
  EXPECT_EQ(migrations[0].file, "common/db/testdata/0001_create_widgets.sql");
  EXPECT_EQ(migrations[1].version, 2);
  EXPECT_EQ(migrations[1].name, "quotes_and_bytes");
  EXPECT_EQ(migrations[2].version, 10);
  EXPECT_EQ(migrations[2].name, "add_color");
  EXPECT_TRUE(ValidateMigrations(migrations).ok());
}

TEST(SqlMigrationsTest, SqlIsEmbeddedByteForByte) {
  for (const Migration& m : testdata::Migrations()) {
    EXPECT_EQ(m.sql, ReadRunfile(m.file)) << m.file;
  }
  // Quotes, backslash, "??=", a tab and UTF-8 survive the embedding.
  EXPECT_THAT(testdata::Migrations()[1].sql,
              ::testing::HasSubstr("'it''s \"quoted\" \\ and ?\?= \xC3\xA9'"));
}

}  // namespace
}  // namespace jit::db
