// Replica sync through PostgreSQL: two RoleCatalogs ("replicas") over one database, each
// with its own pool and snapshot; a change made through one must reach the other's
// snapshot. Waits are bounded loops on the observable outcome, never timing assertions.
#include "services/policy/postgres_role_watcher.h"

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/policy/migrations.h"
#include "services/policy/postgres_role_store.h"
#include "services/policy/role_catalog.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::testing::StatusIs;

// Generous: the machine is shared; the outcome is what is asserted.
constexpr absl::Duration kPatience = absl::Seconds(30);

bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

std::string RoleDoc(const std::string& name, const std::string& login) {
  return absl::StrCat("kind: role\nversion: v7\nmetadata: {name: ", name,
                      "}\nspec: {allow: {logins: [", login, "]}}\n");
}

// One replica: its own pool, store, snapshot and catalog.
struct Replica {
  std::unique_ptr<db::PgPool> pool;
  std::unique_ptr<PostgresRoleStore> store;
  RoleSnapshotHolder snapshots;
  std::unique_ptr<RoleCatalog> catalog;

  bool Has(const std::string& name, const std::string& login) const {
    const CompiledRole* role = snapshots.Get()->Find(name);
    return role != nullptr && !role->role().spec().allow().logins().empty() &&
           role->role().spec().allow().logins(0) == login;
  }
};

class PostgresRoleWatcherTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    for (Replica* r : {&a_, &b_}) {
      ASSERT_OK_AND_ASSIGN(r->pool, db::PgPool::Create(db().PoolOptions(2)));
      r->store = std::make_unique<PostgresRoleStore>(r->pool.get());
      r->catalog = std::make_unique<RoleCatalog>(r->store.get(), &r->snapshots, &clock_);
    }
    ASSERT_OK(db::ApplyMigrations(*a_.pool, "policy", Migrations()));
  }

  std::unique_ptr<PostgresRoleWatcher> Watch(Replica& r, RoleWatcherOptions options) {
    auto watcher = PostgresRoleWatcher::Start(
        r.pool.get(), [&r] { return r.catalog->Refresh(); }, std::move(options));
    EXPECT_OK(watcher);
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }

  void Upsert(Replica& r, const std::string& name, const std::string& login) {
    pb::UpsertRoleRequest request;
    request.set_role_document(RoleDoc(name, login));
    ASSERT_OK(r.catalog->UpsertRole(request, {.actor = "user:test"}));
  }

  // PIDs of sessions of this database that are LISTENing.
  std::vector<int> ListenerPids() {
    pqxx::connection admin(db().conninfo());
    pqxx::nontransaction txn(admin);
    std::vector<int> pids;
    for (const auto& row :
         txn.exec("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                  "AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()")) {
      pids.push_back(row[0].as<int>());
    }
    return pids;
  }

  FakeClock clock_;
  Replica a_, b_;
};

TEST_F(PostgresRoleWatcherTest, ChangeThroughOneReplicaReachesTheOtherByNotification) {
  // Polling is out of the picture: only a notification can bring the change.
  auto watcher = Watch(b_, {.poll_interval = absl::Hours(1), .reconnect_delay = absl::Seconds(1)});
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher->listening(); }));
  Upsert(a_, "dev", "ubuntu");
  EXPECT_TRUE(WaitFor([&] { return b_.Has("dev", "ubuntu"); }));
  EXPECT_GE(watcher->notifications(), 1);
}

TEST_F(PostgresRoleWatcherTest, UpdatesAndDeletionsReachTheOtherReplica) {
  auto watcher = Watch(b_, {.poll_interval = absl::Hours(1), .reconnect_delay = absl::Seconds(1)});
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher->listening(); }));
  Upsert(a_, "dev", "ubuntu");
  ASSERT_TRUE(WaitFor([&] { return b_.Has("dev", "ubuntu"); }));
  Upsert(a_, "dev", "admin");
  EXPECT_TRUE(WaitFor([&] { return b_.Has("dev", "admin"); }));
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  ASSERT_OK(a_.catalog->DeleteRole(del, {.actor = "user:test"}));
  EXPECT_TRUE(WaitFor([&] { return b_.snapshots.Get()->Find("dev") == nullptr; }));
}

TEST_F(PostgresRoleWatcherTest, PollingAloneSeesChangesWhenNoNotificationArrives) {
  auto watcher = Watch(b_, {.poll_interval = absl::Milliseconds(50),
                            .reconnect_delay = absl::Seconds(1),
                            .channel = "nobody_notifies_this"});
  ASSERT_NE(watcher, nullptr);
  Upsert(a_, "dev", "ubuntu");
  EXPECT_TRUE(WaitFor([&] { return b_.Has("dev", "ubuntu"); }));
  EXPECT_EQ(watcher->notifications(), 0);
}

TEST_F(PostgresRoleWatcherTest, ReconnectsAfterTheListenSessionIsTerminated) {
  auto watcher =
      Watch(b_, {.poll_interval = absl::Hours(1), .reconnect_delay = absl::Milliseconds(20)});
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher->listening() && ListenerPids().size() == 1; }));
  const int old_pid = ListenerPids()[0];
  {
    pqxx::connection admin(db().conninfo());
    pqxx::nontransaction txn(admin);
    ASSERT_TRUE(
        txn.exec_params("SELECT pg_terminate_backend($1, 10000)", old_pid)[0][0].as<bool>());
  }
  ASSERT_TRUE(WaitFor([&] {
    const std::vector<int> pids = ListenerPids();
    return watcher->connects() >= 2 && watcher->listening() && pids.size() == 1 &&
           pids[0] != old_pid;
  }));
  // Only the new session's notification can bring this change (polling is hourly).
  const int64_t before = watcher->notifications();
  Upsert(a_, "ops", "root");
  EXPECT_TRUE(WaitFor([&] { return b_.Has("ops", "root"); }));
  EXPECT_GT(watcher->notifications(), before);
}

TEST_F(PostgresRoleWatcherTest, ListensOnADedicatedConnectionNotAPooledOne) {
  auto watcher = Watch(b_, {.poll_interval = absl::Hours(1), .reconnect_delay = absl::Seconds(1)});
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher->listening(); }));
  // Both pooled connections can be leased while the watcher listens.
  ASSERT_OK_AND_ASSIGN(db::PgConnection one, b_.pool->Acquire());
  ASSERT_OK_AND_ASSIGN(db::PgConnection two, b_.pool->Acquire());
  EXPECT_EQ(b_.pool->Stats().open, 2);
}

TEST_F(PostgresRoleWatcherTest, StopEndsTheListenSession) {
  auto watcher = Watch(b_, {.poll_interval = absl::Hours(1), .reconnect_delay = absl::Seconds(1)});
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(WaitFor([&] { return watcher->listening() && ListenerPids().size() == 1; }));
  watcher->Stop();
  EXPECT_FALSE(watcher->listening());
  EXPECT_TRUE(WaitFor([&] { return ListenerPids().empty(); }));
  watcher->Stop();  // idempotent
}

TEST_F(PostgresRoleWatcherTest, BadOptionsAreInvalidArgument) {
  auto ok = [] { return absl::OkStatus(); };
  EXPECT_THAT(
      PostgresRoleWatcher::Start(b_.pool.get(), ok, {.poll_interval = absl::ZeroDuration()}),
      StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("poll_interval")));
  EXPECT_THAT(
      PostgresRoleWatcher::Start(b_.pool.get(), ok, {.reconnect_delay = -absl::Seconds(1)}),
      StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("reconnect_delay")));
  EXPECT_THAT(PostgresRoleWatcher::Start(nullptr, ok, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::policy
