#include "services/policy/postgres_role_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/db/pg_errors.h"
#include "common/periodic_task.h"
#include "pqxx/pqxx"
#include "services/policy/postgres_role_store.h"
#include "spdlog/spdlog.h"

namespace jit::policy {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

// Counts notifications on one channel; the watcher thread reads and clears the flag.
class ChangeReceiver final : public pqxx::notification_receiver {
 public:
  ChangeReceiver(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { ++received_; }
  int TakeReceived() { return std::exchange(received_, 0); }

 private:
  int received_ = 0;
};

// The LISTENing session: receiver first destroyed, then the connection.
struct Listener {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<ChangeReceiver> receiver;
  ~Listener() { receiver.reset(); }
};

absl::StatusOr<std::unique_ptr<Listener>> OpenListener(db::PgPool& pool,
                                                       const std::string& channel) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> connection = pool.ConnectDedicated();
  if (!connection.ok()) return connection.status();
  auto listener = std::make_unique<Listener>();
  listener->connection = *std::move(connection);
  absl::Status status = db::CatchPgErrors([&]() -> absl::Status {
    // Registering the receiver issues LISTEN on the open connection.
    listener->receiver = std::make_unique<ChangeReceiver>(*listener->connection, channel);
    if (!listener->connection->is_open()) return absl::UnavailableError("connection closed");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return listener;
}

int PollTimeoutMs(SteadyTime now, SteadyTime deadline) {
  if (deadline <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresRoleWatcher>> PostgresRoleWatcher::Start(
    db::PgPool* pool, RefreshFn refresh, RoleWatcherOptions options) {
  if (pool == nullptr || !refresh) {
    return absl::InvalidArgumentError("role watcher: pool and refresh are required");
  }
  if (options.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("role watcher: poll_interval must be positive");
  }
  if (options.reconnect_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("role watcher: reconnect_delay must be positive");
  }
  if (options.channel.empty()) options.channel = kRoleChangeChannel;
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("role watcher: eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<PostgresRoleWatcher> watcher(
      new PostgresRoleWatcher(pool, std::move(refresh), std::move(options), fd));
  // Refreshes run on their own task: every poll_interval, and at once when the listener
  // wakes it (a notification, or LISTEN established again after a gap).
  absl::StatusOr<std::unique_ptr<PeriodicTask>> refresher = PeriodicTask::Start(
      {.name = "role refresh", .interval = watcher->options_.poll_interval, .run_at_start = false},
      [w = watcher.get()] { w->DoRefresh(); });
  if (!refresher.ok()) return refresher.status();
  watcher->refresher_ = *std::move(refresher);
  watcher->thread_ = std::thread([w = watcher.get()] { w->Listen(); });
  return watcher;
}

PostgresRoleWatcher::~PostgresRoleWatcher() {
  Stop();
  close(wake_fd_);
}

void PostgresRoleWatcher::Stop() {
  stopping_.store(true);
  const uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  if (refresher_ != nullptr) refresher_->Stop();
}

void PostgresRoleWatcher::DoRefresh() {
  absl::Status status = refresh_();
  if (status.ok()) {
    if (!last_refresh_error_.empty()) spdlog::info("role snapshot refresh works again");
    last_refresh_error_.clear();
    return;
  }
  std::string error = status.ToString();
  if (error != last_refresh_error_) {
    spdlog::warn("role snapshot refresh failed (retrying every {}): {}",
                 absl::FormatDuration(options_.poll_interval), error);
  }
  last_refresh_error_ = std::move(error);
}

void PostgresRoleWatcher::Listen() {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<Listener> listener;
  SteadyTime next_connect = Clock::now();
  bool outage_logged = false;

  auto drop_listener = [&](const std::string& why) {
    listener.reset();
    listening_.store(false);
    spdlog::warn("role change listener lost ({}); polling every {} until it is back", why,
                 absl::FormatDuration(options_.poll_interval));
    outage_logged = true;
    next_connect = Clock::now();  // first retry at once, then every reconnect_delay
    refresher_->Wake();
  };

  while (!stopping_.load()) {
    if (listener == nullptr && Clock::now() >= next_connect) {
      absl::StatusOr<std::unique_ptr<Listener>> opened = OpenListener(*pool_, options_.channel);
      if (opened.ok()) {
        listener = *std::move(opened);
        listening_.store(true);
        if (connects_.fetch_add(1) > 0 || outage_logged) {
          spdlog::info("role change listener is back on channel {}", options_.channel);
        }
        outage_logged = false;
        refresher_->Wake();  // whatever was announced while not listening
      } else {
        if (!outage_logged) {
          spdlog::warn("role change listener cannot connect ({}); retrying every {}",
                       opened.status().ToString(), absl::FormatDuration(options_.reconnect_delay));
          outage_logged = true;
        }
        next_connect = Clock::now() + ToChrono(options_.reconnect_delay);
      }
    }

    // Sleep until a notification, Stop(), or the next connection attempt.
    const SteadyTime deadline =
        listener == nullptr ? next_connect : Clock::now() + std::chrono::seconds(60);
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, POLLIN, 0}};
    if (listener != nullptr) fds[1].fd = listener->connection->sock();
    const int ready = poll(fds, listener != nullptr ? 2 : 1, PollTimeoutMs(Clock::now(), deadline));
    if (ready < 0) {
      if (errno != EINTR) spdlog::error("role watcher poll: {}", std::strerror(errno));
      continue;
    }
    if (fds[0].revents != 0) {
      uint64_t value;
      ssize_t ignored = read(wake_fd_, &value, sizeof(value));
      (void)ignored;
      continue;  // the loop condition sees stopping_
    }
    if (listener != nullptr && fds[1].revents != 0) {
      absl::Status status = db::CatchPgErrors([&]() -> absl::Status {
        listener->connection->get_notifs();
        if (!listener->connection->is_open()) {
          return absl::UnavailableError("connection closed by the server");
        }
        return absl::OkStatus();
      });
      const int received = listener->receiver != nullptr ? listener->receiver->TakeReceived() : 0;
      if (received > 0) {
        notifications_.fetch_add(received);
        refresher_->Wake();
      }
      if (!status.ok()) drop_listener(status.ToString());
    }
  }
  listener.reset();
  listening_.store(false);
}

}  // namespace jit::policy
