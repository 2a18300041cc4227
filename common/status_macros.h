// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr (Abseil 20220623
// has no public version of these).
//
//   RETURN_IF_ERROR(store_->Put(row));
//   ASSIGN_OR_RETURN(Role role, ParseRole(yaml));
//   ASSIGN_OR_RETURN(auto conn, pool.Acquire());
#ifndef JIT_COMMON_STATUS_MACROS_H_
#define JIT_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JIT_STATUS_CONCAT_INNER_(a, b) a##b
#define JIT_STATUS_CONCAT_(a, b) JIT_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                                    \
  do {                                                           \
    ::absl::Status jit_status_return_if_error_ = (expr);         \
    if (!jit_status_return_if_error_.ok()) {                     \
      return jit_status_return_if_error_;                        \
    }                                                            \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the
// value into `lhs` (a declaration such as `auto x` or an existing variable).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  JIT_ASSIGN_OR_RETURN_IMPL_(JIT_STATUS_CONCAT_(jit_statusor_, __LINE__), lhs, rexpr)

#define JIT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = *std::move(statusor)

#endif  // JIT_COMMON_STATUS_MACROS_H_
