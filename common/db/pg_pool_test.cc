// PgPool against a real PostgreSQL (JIT_TEST_PG_URL, see testing/test_database.h).
#include "common/db/pg_pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/nontransaction"

namespace jit::db {
namespace {

using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class PgPoolTest : public testing::PostgresTest {
 protected:
  std::unique_ptr<PgPool> MakePool(int size, absl::Duration acquire_timeout = absl::Seconds(30)) {
    PgPoolOptions options = db().PoolOptions(size);
    options.acquire_timeout = acquire_timeout;
    absl::StatusOr<std::unique_ptr<PgPool>> pool = PgPool::Create(options);
    EXPECT_OK(pool);
    return pool.ok() ? *std::move(pool) : nullptr;
  }

  // Terminates a backend from a separate session and waits until it has exited.
  void Terminate(int pid) {
    pqxx::connection admin(db().conninfo());
    pqxx::nontransaction txn(admin);
    ASSERT_TRUE(txn.exec_params("SELECT pg_terminate_backend($1, 10000)", pid)[0][0].as<bool>());
  }
};

int BackendPid(PgConnection& connection) {
  pqxx::nontransaction txn(*connection);
  return txn.exec("SELECT pg_backend_pid()")[0][0].as<int>();
}

TEST_F(PgPoolTest, AcquireGivesAWorkingConnection) {
  auto pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  pqxx::nontransaction txn(*connection);
  EXPECT_EQ(txn.exec("SELECT current_database()")[0][0].as<std::string>(), db().name());
}

TEST_F(PgPoolTest, ReleasedConnectionIsReused) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  int first_pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
    first_pid = BackendPid(connection);
  }
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  EXPECT_EQ(BackendPid(connection), first_pid);
  EXPECT_EQ(pool->Stats().connects_total, 1);
  EXPECT_EQ(pool->Stats().acquired_total, 2);
}

TEST_F(PgPoolTest, OpensConnectionsOnDemandUpToSize) {
  auto pool = MakePool(3);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->Stats().open, 1);  // Create's fail-fast connection
  ASSERT_OK_AND_ASSIGN(PgConnection a, pool->Acquire());
  ASSERT_OK_AND_ASSIGN(PgConnection b, pool->Acquire());
  ASSERT_OK_AND_ASSIGN(PgConnection c, pool->Acquire());
  EXPECT_NE(BackendPid(a), BackendPid(b));
  EXPECT_NE(BackendPid(b), BackendPid(c));
  EXPECT_EQ(pool->Stats().open, 3);
  EXPECT_EQ(pool->Stats().idle, 0);
}

TEST_F(PgPoolTest, ExhaustedPoolGivesUnavailableAfterAcquireTimeout) {
  auto pool = MakePool(1, absl::Milliseconds(50));
  ASSERT_NE(pool, nullptr);
  ASSERT_OK_AND_ASSIGN(PgConnection held, pool->Acquire());
  EXPECT_THAT(pool->Acquire(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("exhausted")));
  EXPECT_EQ(pool->Stats().acquire_timeouts_total, 1);
}

TEST_F(PgPoolTest, WaiterGetsTheConnectionAnotherThreadReleases) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  std::optional<PgConnection> held;
  {
    ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
    held.emplace(std::move(connection));
  }
  const int held_pid = BackendPid(*held);
  absl::StatusOr<int> waiter_pid = absl::UnknownError("not run");
  std::thread waiter([&] {
    absl::StatusOr<PgConnection> connection = pool->Acquire();
    if (!connection.ok()) {
      waiter_pid = connection.status();
      return;
    }
    waiter_pid = BackendPid(*connection);
  });
  while (pool->Stats().waiting == 0) std::this_thread::yield();
  held.reset();
  waiter.join();
  ASSERT_OK(waiter_pid);
  EXPECT_EQ(*waiter_pid, held_pid);
}

TEST_F(PgPoolTest, TerminatedIdleBackendIsReplacedOnNextAcquire) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  int first_pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
    first_pid = BackendPid(connection);
  }
  Terminate(first_pid);
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  EXPECT_NE(BackendPid(connection), first_pid);
  EXPECT_EQ(pool->Stats().discarded_broken_total, 1);
  EXPECT_EQ(pool->Stats().open, 1);
}

TEST_F(PgPoolTest, ConnectionThatBrokeDuringUseIsDiscardedOnRelease) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  int first_pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
    first_pid = BackendPid(connection);
    Terminate(first_pid);
    EXPECT_ANY_THROW(BackendPid(connection));
  }
  EXPECT_EQ(pool->Stats().discarded_broken_total, 1);
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  EXPECT_NE(BackendPid(connection), first_pid);
}

TEST_F(PgPoolTest, MarkBrokenDiscardsTheConnection) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  int first_pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
    first_pid = BackendPid(connection);
    connection.MarkBroken();
  }
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  EXPECT_NE(BackendPid(connection), first_pid);
  EXPECT_EQ(pool->Stats().discarded_broken_total, 1);
}

TEST_F(PgPoolTest, LeaseMayOutliveThePool) {
  auto pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  ASSERT_OK_AND_ASSIGN(PgConnection connection, pool->Acquire());
  pool.reset();
  EXPECT_GT(BackendPid(connection), 0);
}

TEST_F(PgPoolTest, DedicatedConnectionIsOutsideThePool) {
  PgPoolOptions options = db().PoolOptions(1);
  options.application_name = "jit-dedicated-test";
  options.acquire_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgPool> pool, PgPool::Create(options));
  ASSERT_OK_AND_ASSIGN(PgConnection leased, pool->Acquire());
  // The only pooled connection is in use, yet a dedicated one opens, with the pool's settings.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<pqxx::connection> dedicated, pool->ConnectDedicated());
  pqxx::nontransaction txn(*dedicated);
  EXPECT_EQ(txn.exec("SELECT current_database()")[0][0].as<std::string>(), db().name());
  EXPECT_EQ(txn.exec("SELECT current_setting('application_name')")[0][0].as<std::string>(),
            "jit-dedicated-test");
  const PgPoolStats stats = pool->Stats();
  EXPECT_EQ(stats.open, 1);
  EXPECT_EQ(stats.acquired_total, 1);
}

TEST_F(PgPoolTest, ManyThreadsShareASmallPool) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 25;
  auto pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        absl::StatusOr<PgConnection> connection = pool->Acquire();
        if (!connection.ok() || BackendPid(*connection) <= 0) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const PgPoolStats stats = pool->Stats();
  EXPECT_EQ(stats.acquired_total, kThreads * kRounds);
  EXPECT_LE(stats.open, 2);
  EXPECT_LE(stats.connects_total, 2);
}

TEST_F(PgPoolTest, MissingDatabaseIsUnavailable) {
  PgPoolOptions options = db().PoolOptions(1);
  options.conninfo =
      SecretString(absl::StrCat(db().conninfo(), " dbname=no_such_db password=hunter2-secret"));
  EXPECT_THAT(PgPool::Create(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("no_such_db"), Not(HasSubstr("hunter2-secret")),
                             Not(HasSubstr("\n")))));
}

// A TCP port on 127.0.0.1 that refuses connections for as long as the object lives: bound,
// never listening.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      port_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = -1;
};

TEST(PgPoolCreateTest, UnreachableDatabaseIsUnavailableWithoutThePassword) {
  RefusingPort refusing;
  ASSERT_GT(refusing.port(), 0);
  PgPoolOptions options;
  options.conninfo = SecretString(
      absl::StrCat("postgresql://jit:hunter2-secret@127.0.0.1:", refusing.port(), "/auth"));
  EXPECT_THAT(
      PgPool::Create(options),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("cannot connect to PostgreSQL"),
                     HasSubstr(absl::StrCat("port=", refusing.port())), HasSubstr("user=jit"),
                     Not(HasSubstr("hunter2-secret")), Not(HasSubstr("\n")))));
}

TEST(PgPoolCreateTest, BadOptionsAreInvalidArgument) {
  PgPoolOptions options;
  options.conninfo = SecretString(std::string("host=127.0.0.1"));
  options.size = 0;
  EXPECT_THAT(PgPool::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size")));
  options.size = 1;
  options.acquire_timeout = absl::ZeroDuration();
  EXPECT_THAT(PgPool::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("acquire timeout")));
  options.acquire_timeout = absl::Seconds(1);
  options.conninfo = SecretString(std::string("postgresql://u:hunter2-secret@h/d?bogus=1"));
  EXPECT_THAT(PgPool::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2-secret"))));
}

}  // namespace
}  // namespace jit::db
