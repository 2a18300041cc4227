#include "services/auth/storage/postgres_login_attempt_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/storage/postgres_rows.h"

namespace jit::auth {

absl::StatusOr<LoginFailures> PostgresLoginAttemptStore::Get(std::string_view user) {
  LoginFailures out;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r =
            txn.exec_params(absl::StrCat("SELECT failures, ", db::MicrosOf("last_failure"),
                                         " FROM auth.login_failures WHERE user_name = $1"),
                            std::string(user));
        out = r.empty() ? LoginFailures{}
                        : LoginFailures{.count = r[0][0].as<int>(),
                                        .last_failure = db::TimeFromMicros(r[0][1])};
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, LoginFailures>> PostgresLoginAttemptStore::GetMany(
    const std::vector<std::string>& users) {
  absl::flat_hash_map<std::string, LoginFailures> out;
  if (users.empty()) return out;
  std::string placeholders;
  for (size_t i = 1; i <= users.size(); ++i) {
    absl::StrAppend(&placeholders, i == 1 ? "" : ", ", "$", i);
  }
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.clear();
        const pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT user_name, failures, ", db::MicrosOf("last_failure"),
                         " FROM auth.login_failures WHERE user_name IN (", placeholders, ")"),
            pqxx::prepare::make_dynamic_params(users));
        for (const pqxx::row& row : r) {
          out[row[0].as<std::string>()] =
              LoginFailures{.count = row[1].as<int>(), .last_failure = db::TimeFromMicros(row[2])};
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<AttemptReservation> PostgresLoginAttemptStore::Reserve(std::string_view user,
                                                                      absl::Time now,
                                                                      const LockoutPolicy& policy) {
  AttemptReservation out;
  const std::string name(user);
  const std::string record = absl::StrCat("failures, ", db::MicrosOf("last_failure"), ", series");
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // A first failure creates the row; else take the existing row's lock (a row deleted by a
    // concurrent Clear between the two statements is created again on the next round).
    for (int round = 0; round < 3; ++round) {
      pqxx::result inserted = txn.exec_params(
          absl::StrCat("INSERT INTO auth.login_failures (user_name, failures, last_failure) "
                       "VALUES ($1, 1, $2::timestamptz) ON CONFLICT (user_name) DO NOTHING "
                       "RETURNING ",
                       record),
          name, db::Timestamptz(now));
      if (!inserted.empty()) {
        out = AttemptReservation{
            .reserved = true,
            .failures = {.count = 1, .last_failure = db::TimeFromMicros(inserted[0][1])},
            .series = inserted[0][2].as<int64_t>()};
        return absl::OkStatus();
      }
      pqxx::result r =
          txn.exec_params(absl::StrCat("SELECT ", record,
                                       " FROM auth.login_failures WHERE user_name = $1 FOR UPDATE"),
                          name);
      if (r.empty()) continue;
      const LoginFailures current{.count = r[0][0].as<int>(),
                                  .last_failure = db::TimeFromMicros(r[0][1])};
      if (now < LockedUntil(policy, current)) {
        out = AttemptReservation{.reserved = false, .failures = current};
        return absl::OkStatus();
      }
      const bool restart = now - current.last_failure > policy.window;
      pqxx::result updated = txn.exec_params(
          absl::StrCat("UPDATE auth.login_failures SET last_failure = $2::timestamptz, ",
                       restart ? "failures = 1, series = nextval('auth.login_failure_series') "
                               : "failures = failures + 1 ",
                       "WHERE user_name = $1 RETURNING ", record),
          name, db::Timestamptz(now));
      out = AttemptReservation{
          .reserved = true,
          .failures = {.count = updated[0][0].as<int>(),
                       .last_failure = db::TimeFromMicros(updated[0][1])},
          .series = updated[0][2].as<int64_t>(),
          .previous_last_failure = restart ? absl::InfinitePast() : current.last_failure};
      return absl::OkStatus();
    }
    return absl::AbortedError("login failure record of this name keeps changing; retry");
  }));
  return out;
}

absl::Status PostgresLoginAttemptStore::Refund(std::string_view user,
                                               const AttemptReservation& reservation) {
  if (!reservation.reserved) return absl::OkStatus();
  const std::string name(user);
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT failures, ", db::MicrosOf("last_failure"),
                     " FROM auth.login_failures WHERE user_name = $1 AND series = $2 FOR UPDATE"),
        name, reservation.series);
    if (r.empty()) return absl::OkStatus();  // the series is over
    const int count = r[0][0].as<int>();
    if (count <= 1) {
      txn.exec_params("DELETE FROM auth.login_failures WHERE user_name = $1", name);
      return absl::OkStatus();
    }
    // Nothing counted since this attempt: its predecessor's time comes back.
    const bool untouched = count == reservation.failures.count &&
                           db::TimeFromMicros(r[0][1]) == reservation.failures.last_failure;
    if (untouched && reservation.previous_last_failure != absl::InfinitePast()) {
      txn.exec_params(
          "UPDATE auth.login_failures SET failures = failures - 1, "
          "last_failure = $2::timestamptz WHERE user_name = $1",
          name, db::Timestamptz(reservation.previous_last_failure));
    } else {
      txn.exec_params("UPDATE auth.login_failures SET failures = failures - 1 WHERE user_name = $1",
                      name);
    }
    return absl::OkStatus();
  });
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
                        db::Timestamptz(before))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
