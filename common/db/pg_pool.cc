#include "common/db/pg_pool.h"

#include <poll.h>

#include <cerrno>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/db/conninfo.h"
#include "spdlog/spdlog.h"

namespace jit::db {
namespace internal {

// The pool's state, shared with its leases so that a lease may outlive the PgPool.
class PgPoolCore : public std::enable_shared_from_this<PgPoolCore> {
 public:
  PgPoolCore(const PgPoolOptions& options, Conninfo conninfo)
      : size_(options.size),
        acquire_timeout_(options.acquire_timeout),
        conninfo_(std::move(conninfo)),
        connection_string_(conninfo_.ToConnectionString()),
        description_(conninfo_.Describe()) {}

  // Opens one connection outside any lock.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect() {
    try {
      auto connection =
          std::make_unique<pqxx::connection>(std::string(connection_string_.Reveal()));
      // The pool replaces broken connections itself; libpqxx's silent reconnect would drop
      // session state (advisory locks) without anyone noticing.
      connection->inhibit_reactivation(true);
      return connection;
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL (", description_,
                                                 "): ", conninfo_.Redact(e.what())));
    }
  }

  // Takes a first connection and keeps it idle (Create's fail-fast check).
  absl::Status Prime() {
    {
      absl::MutexLock lock(&mu_);
      ++open_;
    }
    absl::StatusOr<std::unique_ptr<pqxx::connection>> connection = Connect();
    absl::MutexLock lock(&mu_);
    if (!connection.ok()) {
      --open_;
      ++connect_failures_total_;
      return connection.status();
    }
    ++connects_total_;
    idle_.push_back(*std::move(connection));
    return absl::OkStatus();
  }

  absl::StatusOr<PgConnection> Acquire() {
    const absl::Time deadline = absl::Now() + acquire_timeout_;
    while (true) {
      std::unique_ptr<pqxx::connection> candidate;
      {
        absl::MutexLock lock(&mu_);
        ++waiting_;
        const bool ready = mu_.AwaitWithDeadline(
            absl::Condition(
                +[](PgPoolCore* core) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core->mu_) {
                  return !core->idle_.empty() || core->open_ < core->size_;
                },
                this),
            deadline);
        --waiting_;
        if (!ready) {
          ++acquire_timeouts_total_;
          return absl::UnavailableError(absl::StrCat("database connection pool exhausted: all ",
                                                     size_, " connections stayed in use for ",
                                                     absl::FormatDuration(acquire_timeout_)));
        }
        if (!idle_.empty()) {
          candidate = std::move(idle_.back());
          idle_.pop_back();
        } else {
          ++open_;  // reserve the slot, then connect without the lock
        }
      }
      if (candidate != nullptr) {
        if (LooksBroken(*candidate)) {
          spdlog::warn("discarding broken database connection db=\"{}\"", description_);
          Discard(std::move(candidate));
          continue;
        }
        absl::MutexLock lock(&mu_);
        ++acquired_total_;
        return PgConnection(shared_from_this(), std::move(candidate));
      }
      absl::StatusOr<std::unique_ptr<pqxx::connection>> connection = Connect();
      absl::MutexLock lock(&mu_);
      if (!connection.ok()) {
        --open_;
        ++connect_failures_total_;
        return connection.status();
      }
      ++connects_total_;
      ++acquired_total_;
      return PgConnection(shared_from_this(), *std::move(connection));
    }
  }

  void Release(std::unique_ptr<pqxx::connection> connection, bool broken) noexcept {
    if (broken || !connection->is_open()) {
      Discard(std::move(connection));
      return;
    }
    absl::MutexLock lock(&mu_);
    if (closed_) {
      --open_;
      // Closed below, outside the lock.
    } else {
      idle_.push_back(std::move(connection));
    }
  }

  void Close() {
    std::vector<std::unique_ptr<pqxx::connection>> idle;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      open_ -= static_cast<int>(idle_.size());
      idle.swap(idle_);
    }
    // Connections close as `idle` goes out of scope, outside the lock.
  }

  PgPoolStats Stats() const {
    absl::MutexLock lock(&mu_);
    PgPoolStats stats;
    stats.size = size_;
    stats.open = open_;
    stats.idle = static_cast<int>(idle_.size());
    stats.waiting = waiting_;
    stats.acquired_total = acquired_total_;
    stats.acquire_timeouts_total = acquire_timeouts_total_;
    stats.connects_total = connects_total_;
    stats.connect_failures_total = connect_failures_total_;
    stats.discarded_broken_total = discarded_broken_total_;
    return stats;
  }

  const std::string& description() const { return description_; }

 private:
  // An idle connection has nothing to say: if its socket is readable, the server has closed
  // it (or sent a FATAL error, as pg_terminate_backend does). No round trip needed.
  static bool LooksBroken(const pqxx::connection& connection) {
    if (!connection.is_open()) return true;
    const int fd = connection.sock();
    if (fd < 0) return true;
    pollfd pfd{fd, POLLIN, 0};
    int ready;
    do {
      ready = poll(&pfd, 1, 0);
    } while (ready < 0 && errno == EINTR);
    return ready != 0;
  }

  void Discard(std::unique_ptr<pqxx::connection> connection) noexcept {
    connection.reset();  // close outside the lock
    absl::MutexLock lock(&mu_);
    --open_;
    ++discarded_broken_total_;
  }

  const int size_;
  const absl::Duration acquire_timeout_;
  const Conninfo conninfo_;
  const SecretString connection_string_;
  const std::string description_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t acquired_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t acquire_timeouts_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t connects_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t connect_failures_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t discarded_broken_total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace internal

PgConnection::PgConnection(std::shared_ptr<internal::PgPoolCore> core,
                           std::unique_ptr<pqxx::connection> connection)
    : core_(std::move(core)), connection_(std::move(connection)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    Release();
    core_ = std::move(other.core_);
    connection_ = std::move(other.connection_);
    broken_ = other.broken_;
  }
  return *this;
}

PgConnection::~PgConnection() { Release(); }

void PgConnection::Release() noexcept {
  if (connection_ == nullptr) return;
  core_->Release(std::move(connection_), broken_);
  core_.reset();
  broken_ = false;
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(const PgPoolOptions& options) {
  if (options.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("database pool size: must be at least 1, got ", options.size));
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("database connect timeout: must be positive");
  }
  if (options.acquire_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("database acquire timeout: must be positive");
  }
  absl::StatusOr<Conninfo> conninfo = Conninfo::Parse(options.conninfo.Reveal());
  if (!conninfo.ok()) return conninfo.status();
  const int64_t timeout_s = std::max<int64_t>(
      2, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(options.connect_timeout))));
  conninfo->Set("connect_timeout", absl::StrCat(timeout_s));
  if (!options.application_name.empty()) {
    conninfo->Set("application_name", options.application_name);
  }
  auto core = std::make_shared<internal::PgPoolCore>(options, *std::move(conninfo));
  if (absl::Status status = core->Prime(); !status.ok()) return status;
  spdlog::info("database pool ready db=\"{}\" size={}", core->description(), options.size);
  return std::unique_ptr<PgPool>(new PgPool(std::move(core)));
}

PgPool::PgPool(std::shared_ptr<internal::PgPoolCore> core) : core_(std::move(core)) {}

PgPool::~PgPool() { core_->Close(); }

absl::StatusOr<PgConnection> PgPool::Acquire() { return core_->Acquire(); }

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::ConnectDedicated() {
  return core_->Connect();
}

PgPoolStats PgPool::Stats() const { return core_->Stats(); }

const std::string& PgPool::Describe() const { return core_->description(); }

}  // namespace jit::db
