// Mapping of libpqxx exceptions as libpqxx builds them from a server error. The same mapping
// against a real server is exercised in pg_transaction_test.
#include "common/db/pg_errors.h"

#include <stdexcept>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/except"

namespace jit::db {
namespace {

using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename E, typename... Args>
absl::Status Map(Args&&... args) {
  return StatusFromException(std::make_exception_ptr(E(std::forward<Args>(args)...)));
}

TEST(PgErrorsTest, UniqueViolationIsAlreadyExists) {
  EXPECT_THAT(Map<pqxx::unique_violation>(
                  "ERROR:  duplicate key value violates unique constraint \"roles_pkey\"\n"
                  "DETAIL:  Key (name)=(secret-value) already exists.\n",
                  "INSERT ...", "23505"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("roles_pkey"), HasSubstr("23505"),
                             Not(HasSubstr("secret-value")), Not(HasSubstr("INSERT")))));
}

TEST(PgErrorsTest, ForeignKeyViolationIsFailedPrecondition) {
  EXPECT_THAT(Map<pqxx::foreign_key_violation>("ERROR:  fk\n", "", "23503"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PgErrorsTest, CheckNotNullAndDataErrorsAreInvalidArgument) {
  EXPECT_THAT(Map<pqxx::check_violation>("ERROR:  check\n", "", "23514"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Map<pqxx::not_null_violation>("ERROR:  null\n", "", "23502"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Map<pqxx::data_exception>("ERROR:  division by zero\n", "", "22012"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("division by zero")));
}

TEST(PgErrorsTest, SerializationFailureAndDeadlockAreAborted) {
  EXPECT_THAT(Map<pqxx::serialization_failure>("ERROR:  could not serialize access\n"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("could not serialize")));
  EXPECT_THAT(Map<pqxx::deadlock_detected>("ERROR:  deadlock detected\n"),
              StatusIs(absl::StatusCode::kAborted));
}

TEST(PgErrorsTest, BrokenConnectionIsUnavailable) {
  EXPECT_THAT(Map<pqxx::broken_connection>("server closed the connection unexpectedly\n"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("server closed")));
}

TEST(PgErrorsTest, AdminShutdownIsUnavailable) {
  EXPECT_THAT(Map<pqxx::sql_error>("FATAL:  terminating connection due to administrator command\n",
                                   "", "57P01"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PgErrorsTest, StatementTimeoutIsDeadlineExceeded) {
  EXPECT_THAT(
      Map<pqxx::sql_error>("ERROR:  canceling statement due to statement timeout\n", "", "57014"),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(PgErrorsTest, InDoubtCommitIsUnknown) {
  EXPECT_THAT(Map<pqxx::in_doubt_error>("connection lost during commit"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("commit outcome unknown")));
}

TEST(PgErrorsTest, OtherSqlErrorsAreInternalWithTheServerMessage) {
  EXPECT_THAT(
      Map<pqxx::syntax_error>("ERROR:  syntax error at or near \"SELEC\"\nLINE 1: ...", "SELEC 1",
                              "42601"),
      StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr("syntax error at or near"),
                                                  HasSubstr("42601"), Not(HasSubstr("LINE 1")))));
}

TEST(PgErrorsTest, SqlErrorWithoutStateUsesItsType) {
  EXPECT_THAT(Map<pqxx::unique_violation>("ERROR:  duplicate\n"),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(PgErrorsTest, NonDatabaseExceptionsAreInternal) {
  EXPECT_THAT(Map<pqxx::conversion_error>("could not convert 'x' to int"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("could not convert")));
  EXPECT_THAT(Map<std::runtime_error>("boom"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusFromException(std::make_exception_ptr(42)),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusFromException(nullptr), StatusIs(absl::StatusCode::kInternal));
}

TEST(PgErrorsTest, CatchPgErrorsPassesResultsThrough) {
  absl::StatusOr<int> value = CatchPgErrors([]() -> absl::StatusOr<int> { return 7; });
  ASSERT_OK(value);
  EXPECT_EQ(*value, 7);
  EXPECT_THAT(CatchPgErrors([]() -> absl::Status { return absl::NotFoundError("x"); }),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(PgErrorsTest, CatchPgErrorsMapsThrownExceptions) {
  EXPECT_THAT(CatchPgErrors([]() -> absl::StatusOr<int> {
                throw pqxx::serialization_failure("ERROR:  could not serialize access");
              }),
              StatusIs(absl::StatusCode::kAborted));
}

}  // namespace
}  // namespace jit::db
