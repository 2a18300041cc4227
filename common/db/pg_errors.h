// The one place where libpqxx exceptions become absl::Status: code that talks to PostgreSQL
// wraps its pqxx calls in CatchPgErrors and no exception leaves common/db or a store.
// Mapping by SQLSTATE, then exception type: unique/exclusion -> ALREADY_EXISTS; foreign key
// -> FAILED_PRECONDITION; not null/check/data -> INVALID_ARGUMENT; serialization, deadlock,
// lock timeout -> ABORTED; broken connection, shutdown, too many connections -> UNAVAILABLE;
// other resource errors -> RESOURCE_EXHAUSTED; statement timeout -> DEADLINE_EXCEEDED;
// commit outcome unknown -> UNKNOWN; everything else -> INTERNAL (table: common/db/README.md).
// The message is the server's first error line plus "(SQLSTATE xxxxx)": never DETAIL (it can
// quote row values) and never the query text.
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
