#include "services/auth/postgres_login_attempt_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/pg_transaction.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/postgres_rows.h"

namespace jit::auth {

absl::StatusOr<LoginFailures> PostgresLoginAttemptStore::Get(std::string_view user) {
  LoginFailures out;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r =
            txn.exec_params(absl::StrCat("SELECT failures, ", pg::MicrosOf("last_failure"),
                                         " FROM auth.login_failures WHERE user_name = $1"),
                            std::string(user));
        out = r.empty() ? LoginFailures{}
                        : LoginFailures{.count = r[0][0].as<int>(),
                                        .last_failure = pg::TimeFromMicros(r[0][1])};
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<LoginFailures> PostgresLoginAttemptStore::RecordFailure(std::string_view user,
                                                                       absl::Time now,
                                                                       absl::Duration window) {
  LoginFailures out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat("INSERT INTO auth.login_failures AS f (user_name, failures, last_failure) "
                     "VALUES ($1, 1, $2::timestamptz) ON CONFLICT (user_name) DO UPDATE SET "
                     "failures = CASE WHEN f.last_failure < $3::timestamptz THEN 1 "
                     "ELSE f.failures + 1 END, last_failure = EXCLUDED.last_failure "
                     "RETURNING failures, ",
                     pg::MicrosOf("last_failure")),
        std::string(user), pg::Timestamp(now), pg::Timestamp(now - window));
    out = LoginFailures{.count = r[0][0].as<int>(), .last_failure = pg::TimeFromMicros(r[0][1])};
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresLoginAttemptStore::Clear(std::string_view user) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params("DELETE FROM auth.login_failures WHERE user_name = $1", std::string(user));
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> PostgresLoginAttemptStore::DeleteStale(absl::Time before) {
  int64_t n = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    n = static_cast<int64_t>(
        txn.exec_params("DELETE FROM auth.login_failures WHERE last_failure < $1::timestamptz",
                        pg::Timestamp(before))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
