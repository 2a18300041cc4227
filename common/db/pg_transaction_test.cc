// RunInTransaction and the error mapping against a real PostgreSQL (JIT_TEST_PG_URL).
#include "common/db/pg_transaction.h"

#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/nontransaction"
#include "pqxx/transaction"

namespace jit::db {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class RunInTransactionTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<PgPool>> pool = PgPool::Create(db().PoolOptions(2));
    ASSERT_OK(pool);
    pool_ = *std::move(pool);
    Exec(
        "CREATE TABLE parent (id int PRIMARY KEY);"
        "CREATE TABLE item (id int PRIMARY KEY, parent int REFERENCES parent(id),"
        "  qty int NOT NULL CHECK (qty >= 0));"
        "CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL);"
        "INSERT INTO parent VALUES (1); INSERT INTO counter VALUES (1, 0);");
  }

  // Runs SQL on a separate session (not from the pool), committed at once.
  void Exec(const std::string& sql) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    txn.exec(sql);
  }

  int Count(const std::string& query) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    return txn.exec(query)[0][0].as<int>();
  }

  absl::Status Run(const std::string& sql) {
    return RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
      txn.exec(sql);
      return absl::OkStatus();
    });
  }

  // In `txn` (repeatable read or stricter): takes a snapshot, lets another session bump the
  // counter, then updates it too, which PostgreSQL refuses with a serialization failure.
  void ConflictingUpdate(pqxx::transaction_base& txn) {
    txn.exec("SELECT n FROM counter WHERE id = 1");
    Exec("UPDATE counter SET n = n + 100 WHERE id = 1");
    txn.exec("UPDATE counter SET n = n + 1 WHERE id = 1");
  }

  std::unique_ptr<PgPool> pool_;
};

TEST_F(RunInTransactionTest, CommitsWhenFnSucceeds) {
  ASSERT_OK(Run("INSERT INTO item VALUES (1, 1, 5)"));
  EXPECT_EQ(Count("SELECT count(*) FROM item"), 1);
}

TEST_F(RunInTransactionTest, RollsBackAndReturnsFnError) {
  absl::Status status = RunInTransaction(*pool_, [](pqxx::transaction_base& txn) {
    txn.exec("INSERT INTO item VALUES (1, 1, 5)");
    return absl::NotFoundError("no such thing");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, "no such thing"));
  EXPECT_EQ(Count("SELECT count(*) FROM item"), 0);
}

TEST_F(RunInTransactionTest, UniqueViolationIsAlreadyExists) {
  ASSERT_OK(Run("INSERT INTO item VALUES (1, 1, 5)"));
  EXPECT_THAT(Run("INSERT INTO item VALUES (1, 1, 6)"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("item_pkey")));
}

TEST_F(RunInTransactionTest, ForeignKeyViolationIsFailedPrecondition) {
  EXPECT_THAT(Run("INSERT INTO item VALUES (1, 42, 5)"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("item_parent_fkey")));
}

TEST_F(RunInTransactionTest, CheckAndNotNullViolationsAreInvalidArgument) {
  EXPECT_THAT(Run("INSERT INTO item VALUES (1, 1, -1)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("item_qty_check")));
  EXPECT_THAT(Run("INSERT INTO item VALUES (1, 1, NULL)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("null value")));
}

TEST_F(RunInTransactionTest, SyntaxErrorIsInternalWithServerMessage) {
  EXPECT_THAT(Run("SELEC 1"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("syntax error at or near")));
}

TEST_F(RunInTransactionTest, SerializationFailureIsAborted) {
  TransactionOptions options{.isolation = Isolation::kRepeatableRead, .max_attempts = 1};
  absl::Status status = RunInTransaction(*pool_, options, [&](pqxx::transaction_base& txn) {
    ConflictingUpdate(txn);
    return absl::OkStatus();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted, HasSubstr("could not serialize")));
  EXPECT_EQ(Count("SELECT n FROM counter"), 100);
}

TEST_F(RunInTransactionTest, RetriesSerializationFailure) {
  int attempts = 0;
  TransactionOptions options{.isolation = Isolation::kSerializable, .max_attempts = 3};
  absl::Status status = RunInTransaction(*pool_, options, [&](pqxx::transaction_base& txn) {
    if (++attempts == 1) {
      ConflictingUpdate(txn);
    } else {
      txn.exec("UPDATE counter SET n = n + 1 WHERE id = 1");
    }
    return absl::OkStatus();
  });
  EXPECT_THAT(status, IsOk());
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Count("SELECT n FROM counter"), 101);
}

TEST_F(RunInTransactionTest, GivesUpAfterMaxAttempts) {
  int attempts = 0;
  TransactionOptions options{.isolation = Isolation::kSerializable, .max_attempts = 3};
  absl::Status status = RunInTransaction(*pool_, options, [&](pqxx::transaction_base& txn) {
    ++attempts;
    ConflictingUpdate(txn);
    return absl::OkStatus();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(Count("SELECT n FROM counter"), 300);
}

TEST_F(RunInTransactionTest, RetriesOnAFreshConnectionWhenTheBackendDies) {
  int attempts = 0;
  int first_pid = 0;
  int second_pid = 0;
  absl::Status status = RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
    const int pid = txn.exec("SELECT pg_backend_pid()")[0][0].as<int>();
    if (++attempts == 1) {
      first_pid = pid;
      txn.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    }
    second_pid = pid;
    txn.exec("UPDATE counter SET n = n + 1 WHERE id = 1");
    return absl::OkStatus();
  });
  EXPECT_THAT(status, IsOk());
  EXPECT_EQ(attempts, 2);
  EXPECT_NE(first_pid, second_pid);
  EXPECT_EQ(Count("SELECT n FROM counter"), 1);
  EXPECT_EQ(pool_->Stats().discarded_broken_total, 1);
}

TEST_F(RunInTransactionTest, UsesTheRequestedIsolationAndReadOnly) {
  std::string isolation;
  std::string read_only;
  TransactionOptions options{.isolation = Isolation::kSerializable, .read_only = true};
  ASSERT_OK(RunInTransaction(*pool_, options, [&](pqxx::transaction_base& txn) {
    isolation = txn.exec("SHOW transaction_isolation")[0][0].as<std::string>();
    read_only = txn.exec("SHOW transaction_read_only")[0][0].as<std::string>();
    return absl::OkStatus();
  }));
  EXPECT_EQ(isolation, "serializable");
  EXPECT_EQ(read_only, "on");
}

TEST_F(RunInTransactionTest, NonPositiveMaxAttemptsIsInvalidArgument) {
  TransactionOptions options{.max_attempts = 0};
  EXPECT_THAT(
      RunInTransaction(*pool_, options, [](pqxx::transaction_base&) { return absl::OkStatus(); }),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::db
