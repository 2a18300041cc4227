#include "common/db/pg_transaction.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/db/pg_errors.h"
#include "pqxx/transaction"
#include "spdlog/spdlog.h"

namespace jit::db {
namespace {

template <pqxx::isolation_level kLevel, pqxx::readwrite_policy kWrite>
absl::Status RunOnce(pqxx::connection& connection,
                     absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn) {
  pqxx::transaction<kLevel, kWrite> txn(connection);
  absl::Status status = fn(txn);
  if (!status.ok()) return status;  // ~transaction rolls back
  txn.commit();
  return absl::OkStatus();
}

template <pqxx::isolation_level kLevel>
absl::Status RunOnceAt(pqxx::connection& connection, bool read_only,
                       absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn) {
  return read_only ? RunOnce<kLevel, pqxx::read_only>(connection, fn)
                   : RunOnce<kLevel, pqxx::read_write>(connection, fn);
}

absl::Status RunOnceWith(const TransactionOptions& options, pqxx::connection& connection,
                         absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn) {
  switch (options.isolation) {
    case Isolation::kReadCommitted:
      return RunOnceAt<pqxx::read_committed>(connection, options.read_only, fn);
    case Isolation::kRepeatableRead:
      return RunOnceAt<pqxx::repeatable_read>(connection, options.read_only, fn);
    case Isolation::kSerializable:
      return RunOnceAt<pqxx::serializable>(connection, options.read_only, fn);
  }
  return absl::InvalidArgumentError("transaction isolation: unknown level");
}

}  // namespace

absl::Status RunInTransaction(PgPool& pool, const TransactionOptions& options,
                              absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn) {
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("transaction max_attempts: must be at least 1, got ", options.max_attempts));
  }
  absl::Status last;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    absl::StatusOr<PgConnection> connection = pool.Acquire();
    if (!connection.ok()) return connection.status();
    try {
      return RunOnceWith(options, connection->get(), fn);
    } catch (...) {
      last = StatusFromException(std::current_exception());
    }
    const absl::StatusCode code = last.code();
    if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kUnknown ||
        !connection->get().is_open()) {
      connection->MarkBroken();
    }
    if (code != absl::StatusCode::kAborted && code != absl::StatusCode::kUnavailable) break;
    if (attempt < options.max_attempts) {
      spdlog::debug("retrying transaction attempt={} reason=\"{}\"", attempt + 1,
                    std::string(last.message()));
    }
  }
  return last;
}

absl::Status RunInTransaction(PgPool& pool,
                              absl::FunctionRef<absl::Status(pqxx::transaction_base&)> fn) {
  return RunInTransaction(pool, TransactionOptions(), fn);
}

}  // namespace jit::db
