#include "common/db/pg_errors.h"

#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "pqxx/except"

namespace jit::db {
namespace {

// The first meaningful line of a libpq/server message, without the "ERROR:" prefix.
std::string FirstLine(absl::string_view what) {
  what = absl::StripLeadingAsciiWhitespace(what);
  if (size_t nl = what.find('\n'); nl != absl::string_view::npos) what = what.substr(0, nl);
  for (absl::string_view prefix : {"ERROR:", "FATAL:", "PANIC:"}) {
    if (absl::ConsumePrefix(&what, prefix)) break;
  }
  what = absl::StripAsciiWhitespace(what);
  return what.empty() ? std::string("no message") : std::string(what);
}

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (state == "23505" || state == "23P01") return absl::StatusCode::kAlreadyExists;
  if (state == "23503" || state == "23001") return absl::StatusCode::kFailedPrecondition;
  if (state == "23502" || state == "23514") return absl::StatusCode::kInvalidArgument;
  if (absl::StartsWith(state, "22")) return absl::StatusCode::kInvalidArgument;
  if (absl::StartsWith(state, "23")) return absl::StatusCode::kInvalidArgument;
  if (state == "40003") return absl::StatusCode::kUnknown;
  if (absl::StartsWith(state, "40")) return absl::StatusCode::kAborted;
  if (state == "55P03") return absl::StatusCode::kAborted;
  if (absl::StartsWith(state, "08")) return absl::StatusCode::kUnavailable;
  if (state == "57P01" || state == "57P02" || state == "57P03") {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "53300") return absl::StatusCode::kUnavailable;
  if (absl::StartsWith(state, "53")) return absl::StatusCode::kResourceExhausted;
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;
  return absl::StatusCode::kInternal;
}

// For sql_error without a SQLSTATE: the libpqxx subclass tells the class of error.
absl::StatusCode CodeForSqlErrorType(const pqxx::sql_error& e) {
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) return absl::StatusCode::kAlreadyExists;
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&e) ||
      dynamic_cast<const pqxx::restrict_violation*>(&e)) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (dynamic_cast<const pqxx::not_null_violation*>(&e) ||
      dynamic_cast<const pqxx::check_violation*>(&e) ||
      dynamic_cast<const pqxx::data_exception*>(&e)) {
    return absl::StatusCode::kInvalidArgument;
  }
  if (dynamic_cast<const pqxx::insufficient_resources*>(&e)) {
    return absl::StatusCode::kResourceExhausted;
  }
  return absl::StatusCode::kInternal;
}

absl::Status Make(absl::StatusCode code, absl::string_view what, absl::string_view state = "") {
  std::string message = FirstLine(what);
  if (!state.empty()) absl::StrAppend(&message, " (SQLSTATE ", state, ")");
  if (code == absl::StatusCode::kInternal) message = absl::StrCat("database error: ", message);
  return absl::Status(code, message);
}

}  // namespace

absl::Status StatusFromException(std::exception_ptr exception) noexcept {
  if (exception == nullptr) return absl::InternalError("database error: no exception");
  try {
    std::rethrow_exception(exception);
  } catch (const pqxx::in_doubt_error& e) {
    return Make(absl::StatusCode::kUnknown,
                absl::StrCat("commit outcome unknown: ", FirstLine(e.what())));
  } catch (const pqxx::statement_completion_unknown& e) {
    return Make(absl::StatusCode::kUnknown,
                absl::StrCat("statement outcome unknown: ", FirstLine(e.what())));
  } catch (const pqxx::serialization_failure& e) {
    return Make(absl::StatusCode::kAborted, e.what(), "40001");
  } catch (const pqxx::deadlock_detected& e) {
    return Make(absl::StatusCode::kAborted, e.what(), "40P01");
  } catch (const pqxx::transaction_rollback& e) {
    return Make(absl::StatusCode::kAborted, e.what());
  } catch (const pqxx::broken_connection& e) {
    return Make(absl::StatusCode::kUnavailable,
                absl::StrCat("database connection lost: ", FirstLine(e.what())));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const absl::StatusCode code = state.empty() ? CodeForSqlErrorType(e) : CodeForSqlState(state);
    return Make(code, e.what(), state);
  } catch (const pqxx::failure& e) {
    return Make(absl::StatusCode::kInternal, e.what());
  } catch (const std::exception& e) {
    // libpqxx usage/conversion/range errors (and anything else thrown inside a callback).
    return Make(absl::StatusCode::kInternal, e.what());
  } catch (...) {
    return absl::InternalError("database error: unknown exception");
  }
}

}  // namespace jit::db
