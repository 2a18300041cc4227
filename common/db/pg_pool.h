// PgPool: a fixed-size, thread-safe pool of libpqxx connections shared by a service's
// handlers. Prefer RunInTransaction (pg_transaction.h) over raw leases.
// - Create validates the options and opens one connection at once: an unreachable database
//   is UNAVAILABLE naming host/port/dbname/user, never the password.
// - Acquire returns an idle or new connection, or waits up to `acquire_timeout`, then
//   UNAVAILABLE ("pool exhausted"). Broken connections are replaced, never reused.
// - A lease must leave no session state behind (SET, LISTEN, temp tables); use
//   ConnectDedicated() for sessions that need it.
// Thread-safety: PgPool is thread-safe; a PgConnection belongs to one thread at a time and
// may outlive the pool. Notes and examples: common/db/README.md.
#ifndef JIT_COMMON_DB_PG_POOL_H_
#define JIT_COMMON_DB_PG_POOL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "pqxx/connection"

namespace jit::db {

struct PgPoolOptions {
  // libpq URI ("postgresql://user@host:port/dbname?sslmode=verify-full") or key=value pairs.
  SecretString conninfo;
  // Most connections open at once (>= 1).
  int size = 8;
  // Limit for opening one connection; libpq rounds to whole seconds, at least 2. Overrides a
  // connect_timeout in `conninfo`.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Longest Acquire waits for a free connection when all `size` are in use.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Shown in pg_stat_activity (e.g. "jit-auth"); empty keeps the conninfo's.
  std::string application_name;
};

// A snapshot of the pool, for metrics and tests.
struct PgPoolStats {
  int size = 0;  // configured maximum
  int open = 0;  // idle + in use + being opened
  int idle = 0;
  int waiting = 0;  // callers blocked in Acquire
  int64_t acquired_total = 0;
  int64_t acquire_timeouts_total = 0;
  int64_t connects_total = 0;
  int64_t connect_failures_total = 0;
  int64_t discarded_broken_total = 0;
};

namespace internal {
class PgPoolCore;
}  // namespace internal

// A connection leased from a PgPool; returns it on destruction. Movable, not copyable.
class PgConnection {
 public:
  PgConnection(PgConnection&& other) noexcept = default;
  PgConnection& operator=(PgConnection&& other) noexcept;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  pqxx::connection& get() const { return *connection_; }
  pqxx::connection& operator*() const { return *connection_; }
  pqxx::connection* operator->() const { return connection_.get(); }

  // The connection is not to be reused: the pool closes it on release. For callers that saw
  // it fail in a way the pool cannot see (e.g. a protocol error mid-transaction).
  void MarkBroken() { broken_ = true; }

 private:
  friend class internal::PgPoolCore;
  PgConnection(std::shared_ptr<internal::PgPoolCore> core,
               std::unique_ptr<pqxx::connection> connection);
  void Release() noexcept;

  std::shared_ptr<internal::PgPoolCore> core_;
  std::unique_ptr<pqxx::connection> connection_;
  bool broken_ = false;
};

class PgPool {
 public:
  // INVALID_ARGUMENT for bad options (naming the field), UNAVAILABLE when the first
  // connection cannot be opened.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(const PgPoolOptions& options);

  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;
  ~PgPool();

  // A free connection; UNAVAILABLE after `acquire_timeout` without one, or when a new
  // connection cannot be opened.
  absl::StatusOr<PgConnection> Acquire();

  // A new connection with the pool's settings (conninfo, connect timeout, application name,
  // no silent reconnection) that does not belong to the pool: for a session that keeps
  // state, e.g. one that LISTENs. It does not count towards `size`; the caller owns and
  // closes it. UNAVAILABLE as for Acquire.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectDedicated();

  PgPoolStats Stats() const;
  // "host=... port=... dbname=... user=...": where the pool points, without secrets.
  const std::string& Describe() const;

 private:
  explicit PgPool(std::shared_ptr<internal::PgPoolCore> core);

  std::shared_ptr<internal::PgPoolCore> core_;
};

}  // namespace jit::db

#endif  // JIT_COMMON_DB_PG_POOL_H_
