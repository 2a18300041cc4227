// Keeps a replica's role snapshot current: calls `refresh` (RoleCatalog::Refresh) when
// PostgreSQL announces a change on kRoleChangeChannel, and at least every `poll_interval`
// (a PeriodicTask the listener wakes), so changes are seen even when notifications are lost.
// LISTEN runs on a dedicated connection; when it breaks the watcher reconnects every
// `reconnect_delay` and refreshes once listening again. Refresh errors are logged and retried
// on the next tick; the snapshot stays as it was. Stop() (or the destructor) joins the
// listener and stops the task. Thread-safe; the pool must outlive the watcher.
#ifndef JIT_SERVICES_POLICY_POSTGRES_ROLE_WATCHER_H_
#define JIT_SERVICES_POLICY_POSTGRES_ROLE_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/pg_pool.h"
#include "common/periodic_task.h"

namespace jit::policy {

struct RoleWatcherOptions {
  // Refresh at least this often (also without notifications). > 0.
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Pause between attempts to re-open the LISTEN connection. > 0.
  absl::Duration reconnect_delay = absl::Seconds(1);
  // Channel to LISTEN on; kRoleChangeChannel unless a test wants silence.
  std::string channel;
};

class PostgresRoleWatcher {
 public:
  using RefreshFn = std::function<absl::Status()>;

  // Starts the watcher thread (it connects and listens in the background: an unreachable
  // database is retried, not an error). INVALID_ARGUMENT for bad options; INTERNAL if the
  // wake-up descriptor cannot be created.
  static absl::StatusOr<std::unique_ptr<PostgresRoleWatcher>> Start(db::PgPool* pool,
                                                                    RefreshFn refresh,
                                                                    RoleWatcherOptions options);

  ~PostgresRoleWatcher();
  PostgresRoleWatcher(const PostgresRoleWatcher&) = delete;
  PostgresRoleWatcher& operator=(const PostgresRoleWatcher&) = delete;

  // Stops and joins the thread; idempotent.
  void Stop();

  // Whether LISTEN is established right now.
  bool listening() const { return listening_.load(); }
  // Notifications received so far.
  int64_t notifications() const { return notifications_.load(); }
  // Times the LISTEN connection was (re)established.
  int64_t connects() const { return connects_.load(); }

 private:
  PostgresRoleWatcher(db::PgPool* pool, RefreshFn refresh, RoleWatcherOptions options, int wake_fd)
      : pool_(pool),
        refresh_(std::move(refresh)),
        options_(std::move(options)),
        wake_fd_(wake_fd) {}

  void Listen();     // the listener thread
  void DoRefresh();  // the refresh task

  db::PgPool* const pool_;
  const RefreshFn refresh_;
  const RoleWatcherOptions options_;
  const int wake_fd_;  // eventfd: written by Stop()
  std::unique_ptr<PeriodicTask> refresher_;
  std::thread thread_;  // the listener
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<int64_t> notifications_{0};
  std::atomic<int64_t> connects_{0};
  // Touched only by the refresh task.
  std::string last_refresh_error_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_POSTGRES_ROLE_WATCHER_H_
