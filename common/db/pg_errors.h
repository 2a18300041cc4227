// The one place where libpqxx exceptions become absl::Status. Code that talks to PostgreSQL
// catches everything at its boundary and maps it here; no exception leaves common/db or a
// store built on it.
//
//   absl::StatusOr<Role> PostgresRoleStore::Get(std::string_view name) {
//     return CatchPgErrors([&]() -> absl::StatusOr<Role> { ... pqxx calls ... });
//   }
//
// Mapping (SQLSTATE first, then the libpqxx exception type):
//   unique (23505), exclusion (23P01)            -> ALREADY_EXISTS
//   foreign key (23503), restrict (23001)        -> FAILED_PRECONDITION
//   not null (23502), check (23514), data (22*)  -> INVALID_ARGUMENT
//   serialization (40001), deadlock (40P01),
//   other rollbacks (40*), lock timeout (55P03)  -> ABORTED (retry the whole transaction)
//   broken connection, 08*, shutdown (57P01..3),
//   too many connections (53300)                 -> UNAVAILABLE
//   other resource errors (53*)                  -> RESOURCE_EXHAUSTED
//   statement timeout / cancel (57014)           -> DEADLINE_EXCEEDED
//   commit outcome unknown (in_doubt_error)      -> UNKNOWN
//   everything else (syntax, privileges, libpqxx usage, std::exception, ...) -> INTERNAL
// The message is the first line of the server's error (no DETAIL: it can quote row values)
// plus "(SQLSTATE xxxxx)"; the query text is never included.
#ifndef JIT_COMMON_DB_PG_ERRORS_H_
#define JIT_COMMON_DB_PG_ERRORS_H_

#include <exception>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::db {

// Maps an exception (normally std::current_exception() inside `catch (...)`). A null
// pointer gives INTERNAL.
absl::Status StatusFromException(std::exception_ptr exception) noexcept;

// Runs `fn` (returning absl::Status or absl::StatusOr<T>) and turns any exception it throws
// into a status with StatusFromException.
template <typename F>
std::invoke_result_t<F> CatchPgErrors(F&& fn) noexcept {
  using Result = std::invoke_result_t<F>;
  static_assert(std::is_convertible_v<absl::Status, Result>,
                "CatchPgErrors: fn must return absl::Status or absl::StatusOr<T>");
  try {
    return std::forward<F>(fn)();
  } catch (...) {
    return Result(StatusFromException(std::current_exception()));
  }
}

}  // namespace jit::db

#endif  // JIT_COMMON_DB_PG_ERRORS_H_
