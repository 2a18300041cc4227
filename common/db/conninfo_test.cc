#include "common/db/conninfo.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::db {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConninfoTest, ParsesUrl) {
  ASSERT_OK_AND_ASSIGN(
      Conninfo info, Conninfo::Parse("postgresql://alice:pw@127.0.0.1:5433/auth?sslmode=disable"));
  EXPECT_EQ(info.Get("host"), "127.0.0.1");
  EXPECT_EQ(info.Get("port"), "5433");
  EXPECT_EQ(info.Get("dbname"), "auth");
  EXPECT_EQ(info.Get("user"), "alice");
  EXPECT_EQ(info.Get("sslmode"), "disable");
}

TEST(ConninfoTest, PasswordIsNotReadableThroughGet) {
  ASSERT_OK_AND_ASSIGN(Conninfo info, Conninfo::Parse("host=h password=hunter2"));
  EXPECT_EQ(info.Get("password"), "");
}

TEST(ConninfoTest, HasPasswordTellsWhetherOneIsSet) {
  ASSERT_OK_AND_ASSIGN(Conninfo with, Conninfo::Parse("postgresql://alice:pw@h/d"));
  ASSERT_OK_AND_ASSIGN(Conninfo without, Conninfo::Parse("postgresql://alice@h/d"));
  EXPECT_TRUE(with.HasPassword());
  EXPECT_FALSE(without.HasPassword());
}

TEST(ConninfoTest, DescribeOmitsPassword) {
  ASSERT_OK_AND_ASSIGN(Conninfo info,
                       Conninfo::Parse("postgresql://alice:hunter2@db.internal:5432/auth"));
  EXPECT_EQ(info.Describe(), "host=db.internal port=5432 dbname=auth user=alice");
}

TEST(ConninfoTest, ConnectionStringRoundTripsQuotedValues) {
  ASSERT_OK_AND_ASSIGN(Conninfo info, Conninfo::Parse("host=h dbname=d"));
  info.Set("password", "it's a \\ secret");
  info.Set("application_name", "jit auth");
  ASSERT_OK_AND_ASSIGN(Conninfo again, Conninfo::Parse(info.ToConnectionString().Reveal()));
  EXPECT_EQ(again.Get("application_name"), "jit auth");
  EXPECT_EQ(again.Redact("x it's a \\ secret y"), "x [redacted] y");
}

TEST(ConninfoTest, SetEmptyRemovesKeyword) {
  ASSERT_OK_AND_ASSIGN(Conninfo info, Conninfo::Parse("host=h dbname=d"));
  info.Set("dbname", "");
  EXPECT_EQ(info.Get("dbname"), "");
  EXPECT_THAT(std::string(info.ToConnectionString().Reveal()), Not(HasSubstr("dbname")));
}

TEST(ConninfoTest, RedactRemovesPasswordAndFoldsLines) {
  ASSERT_OK_AND_ASSIGN(Conninfo info, Conninfo::Parse("postgresql://u:hunter2@h/d"));
  EXPECT_EQ(info.Redact("FATAL:  bad hunter2\n\tdetail hunter2\n"),
            "FATAL:  bad [redacted] detail [redacted]");
}

TEST(ConninfoTest, InvalidInputIsRejectedWithoutEchoingIt) {
  EXPECT_THAT(Conninfo::Parse("host=h password=hunter2 bogus"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
  EXPECT_THAT(Conninfo::Parse("postgresql://u:hunter2@h/d?nosuchoption=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
}

}  // namespace
}  // namespace jit::db
