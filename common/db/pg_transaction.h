// RunInTransaction: runs a function in one PostgreSQL transaction on a pooled connection,
// commits it, maps every exception to a status (pg_errors.h) and retries the transactions
// that PostgreSQL asks to retry.
//
//   absl::Status s = RunInTransaction(pool, {.isolation = Isolation::kSerializable},
//       [&](pqxx::transaction_base& txn) -> absl::Status {
//         pqxx::result r = txn.exec_params("SELECT state FROM requests.requests WHERE id=$1", id);
//         if (r.empty()) return absl::NotFoundError("no such request");
//         txn.exec_params("UPDATE requests.requests SET state=$2 WHERE id=$1", id, next);
//         return absl::OkStatus();
//       });
//
// - `fn` returning OK commits; returning an error rolls back and returns that error as is
//   (never retried). `fn` may throw libpqxx exceptions freely: they are caught here.
// - Serialization failures and deadlocks (ABORTED), and a connection lost before the commit
//   (UNAVAILABLE; the connection is replaced), are retried on a fresh transaction up to
//   `max_attempts` in all; the last error is returned. So `fn` may run more than once: keep
//   side effects outside the database out of it, or make them idempotent.
// - A connection lost during COMMIT gives UNKNOWN (the outcome is unknown) and is not retried.
// - Acquiring the connection can fail with UNAVAILABLE (see PgPool::Acquire).
// Thread-safety: as PgPool; `fn` runs on the calling thread.
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
