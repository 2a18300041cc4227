#include "services/auth/storage/postgres_session_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/service_name.h"
#include "services/auth/storage/postgres_rows.h"

namespace jit::auth {
namespace {

const db::TransactionOptions kReadOnly{.read_only = true};
// The counter and the rows must come from one snapshot.
const db::TransactionOptions kSnapshot{.isolation = db::Isolation::kRepeatableRead,
                                       .read_only = true};

std::string S(std::string_view v) { return std::string(v); }

}  // namespace

absl::Status PostgresSessionStore::Create(const SessionRecord& session, int64_t user_generation,
                                          const audit::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // The share lock is held until commit, so a change that ends the user's sessions (an
    // UPDATE or DELETE of the row, then the revocation) either waits for this session and
    // revokes it, or commits first: then, under READ COMMITTED, the lock waits for it and
    // reads the row as it changed (a new generation) or finds it gone.
    const pqxx::result user = txn.exec_params(
        "SELECT session_generation FROM auth.users WHERE name = $1 FOR SHARE", session.user);
    if (user.empty() || user[0][0].as<int64_t>() != user_generation) {
      return absl::AbortedError(
          "the user changed during login (deleted, or its password, roles or traits changed)");
    }
    txn.exec_params(
        "INSERT INTO auth.sessions (id, user_name, auth_method, mfa, issue_time, expire_time) "
        "VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz)",
        session.id, session.user, session.auth_method, session.mfa,
        db::Timestamptz(session.issue_time), db::Timestamptz(session.expire_time));
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SessionRecord>> PostgresSessionStore::Get(std::string_view id) {
  std::optional<SessionRecord> out;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.reset();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT id, user_name, auth_method, mfa, ", db::MicrosOf("issue_time"),
                         ", ", db::MicrosOf("expire_time"), ", ", db::MicrosOf("revoked_at"),
                         ", coalesce(revoked_by, '') FROM auth.sessions WHERE id = $1"),
            S(id));
        if (r.empty()) return absl::OkStatus();
        const pqxx::row& row = r[0];
        SessionRecord s{.id = row[0].as<std::string>(),
                        .user = row[1].as<std::string>(),
                        .auth_method = row[2].as<std::string>(),
                        .mfa = row[3].as<bool>(),
                        .issue_time = db::TimeFromMicros(row[4]),
                        .expire_time = db::TimeFromMicros(row[5])};
        if (!row[6].is_null()) s.revoked_at = db::TimeFromMicros(row[6]);
        s.revoked_by = row[7].as<std::string>();
        out = std::move(s);
        return absl::OkStatus();
      }));
  return out;
}

absl::Status PostgresSessionStore::Revoke(std::string_view id, std::string_view revoked_by,
                                          absl::Time now, const audit::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // The counter's row lock, taken first (as pg::RevokeUserSessions does), orders concurrent
    // revocations by commit (see the migration).
    const int64_t base =
        txn.exec("SELECT value FROM auth.revocation_counter FOR UPDATE")[0][0].as<int64_t>();
    pqxx::result r = txn.exec_params(
        "SELECT revoked_at IS NOT NULL FROM auth.sessions WHERE id = $1 FOR UPDATE", S(id));
    if (r.empty()) return absl::NotFoundError("session not found");
    if (r[0][0].as<bool>()) return absl::OkStatus();
    txn.exec_params("UPDATE auth.revocation_counter SET value = $1", base + 1);
    txn.exec_params(
        "UPDATE auth.sessions SET revoked_at = $2::timestamptz, revoked_by = $3, "
        "revocation_cursor = $4 WHERE id = $1",
        S(id), db::Timestamptz(now), S(revoked_by), base + 1);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::StatusOr<RevocationUpdate> PostgresSessionStore::ListRevoked(int64_t after_cursor,
                                                                   absl::Time now) {
  RevocationUpdate update;
  // Verifiers still accept a token a little past its exp: keep publishing its revocation.
  const absl::Time horizon = now - kRevokedSessionGrace;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kSnapshot, [&](pqxx::transaction_base& txn) -> absl::Status {
        update = RevocationUpdate{};
        const int64_t current =
            txn.exec("SELECT value FROM auth.revocation_counter")[0][0].as<int64_t>();
        update.cursor = current;
        update.complete = after_cursor <= 0 || after_cursor > current;
        const std::string columns =
            absl::StrCat("SELECT id, ", db::MicrosOf("expire_time"), " FROM auth.sessions ");
        pqxx::result r =
            update.complete
                ? txn.exec_params(columns +
                                      "WHERE revocation_cursor IS NOT NULL AND "
                                      "expire_time > $1::timestamptz ORDER BY revocation_cursor",
                                  db::Timestamptz(horizon))
                : txn.exec_params(columns +
                                      "WHERE revocation_cursor > $1 AND revocation_cursor <= $2 "
                                      "AND expire_time > $3::timestamptz "
                                      "ORDER BY revocation_cursor",
                                  after_cursor, current, db::Timestamptz(horizon));
        update.sessions.reserve(r.size());
        for (const pqxx::row& row : r) {
          update.sessions.push_back(
              {.session_id = row[0].as<std::string>(), .expire_time = db::TimeFromMicros(row[1])});
        }
        return absl::OkStatus();
      }));
  return update;
}

absl::StatusOr<int64_t> PostgresSessionStore::CountActive(absl::Time now) {
  int64_t n = 0;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        n = txn.exec_params(
                   "SELECT count(*) FROM auth.sessions WHERE revoked_at IS NULL AND "
                   "expire_time > $1::timestamptz",
                   db::Timestamptz(now))[0][0]
                .as<int64_t>();
        return absl::OkStatus();
      }));
  return n;
}

absl::StatusOr<int64_t> PostgresSessionStore::DeleteExpired(absl::Time before) {
  int64_t n = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    n = static_cast<int64_t>(
        txn.exec_params("DELETE FROM auth.sessions WHERE expire_time < $1::timestamptz",
                        db::Timestamptz(before))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
