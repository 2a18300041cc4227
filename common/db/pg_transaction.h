// RunInTransaction: runs `fn` in one PostgreSQL transaction on a pooled connection, commits,
// maps every exception (pg_errors.h) and retries what PostgreSQL asks to retry.
// - `fn` returning OK commits; an error rolls back and is returned as is (never retried).
//   `fn` may throw libpqxx exceptions freely.
// - ABORTED (serialization, deadlock) and UNAVAILABLE before the commit are retried on a
//   fresh transaction up to `max_attempts`: `fn` may run more than once, so keep outside
//   side effects out of it. A connection lost during COMMIT is UNKNOWN, not retried.
// - Acquiring the connection can fail with UNAVAILABLE (PgPool::Acquire).
// Thread-safety: as PgPool; `fn` runs on the calling thread. Example: common/db/README.md.
#ifndef JIT_COMMON_DB_PG_TRANSACTION_H_
#define JIT_COMMON_DB_PG_TRANSACTION_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/db/pg_pool.h"
#include "pqxx/transaction_base"

namespace jit::db {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TransactionOptions {
  Isolation isolation = Isolation::kReadCommitted;
  // The transaction is declared READ ONLY (writes fail with INTERNAL).
  bool read_only = false;
  // Attempts in all, including the first (>= 1).
  int max_attempts = 3;
};

absl::Status RunInTransaction(PgPool& pool, const TransactionOptions& options,
                              absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn);

// Read committed, read-write, default attempts.
absl::Status RunInTransaction(PgPool& pool,
                              absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn);

}  // namespace jit::db

#endif  // JIT_COMMON_DB_PG_TRANSACTION_H_
