#include "services/auth/storage/postgres_user_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/crypto/constant_time.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/service_name.h"
#include "services/auth/storage/postgres_rows.h"

namespace jit::auth {
namespace {

const db::TransactionOptions kReadOnly{.read_only = true};

std::string S(std::string_view v) { return std::string(v); }

std::string TotpAd(std::string_view name) { return absl::StrCat("totp:", S(name)); }
std::string EnrollmentAd(std::string_view name) {
  return absl::StrCat("totp-enrollment:", S(name));
}

const std::string& UserColumns() {
  static const std::string* const columns = new std::string(absl::StrCat(
      "name, roles::text, traits::text, origin, password_hash, totp_secret, ",
      db::MicrosOf("create_time"), ", ", db::MicrosOf("update_time"), ", session_generation"));
  return *columns;
}

// The SET clause of a change that ends the user's sessions (see the migration 0002).
constexpr char kNewGeneration[] = "session_generation = nextval('auth.user_session_generation')";

absl::Status NoSuchUser(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("user \"", S(name), "\" not found"));
}

// Builds a record from a row selected with UserColumns().
absl::StatusOr<UserRecord> RecordFromRow(const pqxx::row& row,
                                         const crypto::KeyEncryptionKey& kek) {
  UserRecord record;
  auto& p = record.profile;
  p.set_name(row[0].as<std::string>());
  RETURN_IF_ERROR(pg::ReadRolesAndTraits(row[1].as<std::string>(), row[2].as<std::string>(), &p));
  p.set_origin(row[3].as<std::string>());
  record.password_hash = row[4].as<std::string>();
  if (!row[5].is_null()) {
    absl::StatusOr<SecretString> secret = kek.Open(db::BytesOf(row[5]), TotpAd(p.name()));
    if (!secret.ok()) {
      return absl::Status(secret.status().code(), absl::StrCat("TOTP secret of user \"", p.name(),
                                                               "\": ", secret.status().message()));
    }
    record.totp_secret = *std::move(secret);
    p.set_totp_enabled(true);
  }
  SetProtoTimestamp(db::TimeFromMicros(row[6]), p.mutable_create_time());
  SetProtoTimestamp(db::TimeFromMicros(row[7]), p.mutable_update_time());
  record.session_generation = row[8].as<int64_t>();
  return record;
}

}  // namespace

absl::StatusOr<std::optional<UserRecord>> PostgresUserStore::Get(std::string_view name) {
  std::optional<UserRecord> out;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.reset();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", UserColumns(), " FROM auth.users WHERE name = $1"), S(name));
        if (r.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(out, RecordFromRow(r[0], *kek_));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<UserRecord>> PostgresUserStore::List(std::string_view after, int limit) {
  std::vector<UserRecord> out;
  if (limit <= 0) return out;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.clear();
        // COLLATE "C": the order of the page token comparison, independent of the locale.
        pqxx::result r =
            txn.exec_params(absl::StrCat("SELECT ", UserColumns(),
                                         " FROM auth.users WHERE name COLLATE \"C\" > $1 "
                                         "ORDER BY name COLLATE \"C\" LIMIT $2"),
                            S(after), limit);
        for (const pqxx::row& row : r) {
          ASSIGN_OR_RETURN(UserRecord record, RecordFromRow(row, *kek_));
          out.push_back(std::move(record));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::Status PostgresUserStore::Create(const UserRecord& user, const audit::AuditEvent& event) {
  const auto& p = user.profile;
  std::optional<std::string> sealed;
  if (p.totp_enabled()) {
    ASSIGN_OR_RETURN(sealed, kek_->Seal(user.totp_secret.Reveal(), TotpAd(p.name())));
  }
  const absl::Time create = FromProtoTimestamp(p.create_time());
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    if (sealed.has_value()) {
      txn.exec_params(
          "INSERT INTO auth.users (name, roles, traits, origin, password_hash, totp_secret, "
          "create_time, update_time) VALUES ($1, $2::jsonb, $3::jsonb, $4, $5, $6, "
          "$7::timestamptz, $7::timestamptz)",
          p.name(), pg::RolesJson(p), pg::TraitsJson(p), p.origin(), user.password_hash,
          db::Bytea(*sealed), db::Timestamptz(create));
    } else {
      txn.exec_params(
          "INSERT INTO auth.users (name, roles, traits, origin, password_hash, "
          "create_time, update_time) VALUES ($1, $2::jsonb, $3::jsonb, $4, $5, "
          "$6::timestamptz, $6::timestamptz)",
          p.name(), pg::RolesJson(p), pg::TraitsJson(p), p.origin(), user.password_hash,
          db::Timestamptz(create));
    }
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("user \"", p.name(), "\" already exists"));
  }
  return s;
}

absl::StatusOr<UserRecord> PostgresUserStore::UpsertExternal(const UserRecord& user,
                                                             const audit::AuditEvent& event) {
  const auto& p = user.profile;
  const absl::Time now = FromProtoTimestamp(p.update_time());
  UserRecord out;
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat(
            "INSERT INTO auth.users (name, roles, traits, origin, create_time, update_time) "
            "VALUES ($1, $2::jsonb, $3::jsonb, $4, $5::timestamptz, $5::timestamptz) "
            "ON CONFLICT (name) DO UPDATE SET roles = EXCLUDED.roles, traits = EXCLUDED.traits, "
            "update_time = EXCLUDED.update_time WHERE users.origin = EXCLUDED.origin "
            "RETURNING ",
            UserColumns()),
        p.name(), pg::RolesJson(p), pg::TraitsJson(p), p.origin(), db::Timestamptz(now));
    if (r.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("user name \"", p.name(), "\" belongs to a user not from ", p.origin()));
    }
    ASSIGN_OR_RETURN(out, RecordFromRow(r[0], *kek_));
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {  // another spelling of the name exists (users_name_lower)
    return absl::FailedPreconditionError(
        absl::StrCat("user name \"", p.name(), "\" belongs to a user not from ", p.origin()));
  }
  RETURN_IF_ERROR(s);
  return out;
}

absl::StatusOr<UserRecord> PostgresUserStore::UpdateProfile(const jit::auth::v1::User& profile,
                                                            absl::Time now,
                                                            const audit::AuditEvent& event) {
  UserRecord out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat("UPDATE auth.users SET roles = $2::jsonb, traits = $3::jsonb, "
                     "update_time = $4::timestamptz, ",
                     kNewGeneration, " WHERE name = $1 RETURNING ", UserColumns()),
        profile.name(), pg::RolesJson(profile), pg::TraitsJson(profile), db::Timestamptz(now));
    if (r.empty()) return NoSuchUser(profile.name());
    ASSIGN_OR_RETURN(out, RecordFromRow(r[0], *kek_));
    pg::RevokeUserSessions(txn, profile.name(), "", event.actor(), now);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresUserStore::Delete(std::string_view name, absl::Time now,
                                       const audit::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r =
        txn.exec_params("DELETE FROM auth.users WHERE name = $1 RETURNING name", S(name));
    if (r.empty()) return NoSuchUser(name);
    pg::RevokeUserSessions(txn, name, "", event.actor(), now);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::Status PostgresUserStore::SetPasswordHash(std::string_view name, const std::string& hash,
                                                absl::Time now, std::string_view keep_session_id,
                                                std::optional<int64_t> expected_generation,
                                                const audit::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    const std::string update =
        absl::StrCat("UPDATE auth.users SET password_hash = $2, update_time = $3::timestamptz, ",
                     kNewGeneration, " WHERE name = $1");
    pqxx::result r =
        expected_generation.has_value()
            ? txn.exec_params(update + " AND session_generation = $4 RETURNING name", S(name), hash,
                              db::Timestamptz(now), *expected_generation)
            : txn.exec_params(update + " RETURNING name", S(name), hash, db::Timestamptz(now));
    if (r.empty()) {
      if (expected_generation.has_value() &&
          !txn.exec_params("SELECT 1 FROM auth.users WHERE name = $1", S(name)).empty()) {
        return absl::AbortedError("the user changed meanwhile (password, roles or traits)");
      }
      return NoSuchUser(name);
    }
    pg::RevokeUserSessions(txn, name, keep_session_id, event.actor(), now);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::Status PostgresUserStore::RehashPassword(std::string_view name, const std::string& old_hash,
                                               const std::string& new_hash) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params(
        "UPDATE auth.users SET password_hash = $3 WHERE name = $1 AND password_hash = $2", S(name),
        old_hash, new_hash);
    return absl::OkStatus();
  });
}

absl::Status PostgresUserStore::PutTotpEnrollment(std::string_view name, const SecretString& secret,
                                                  absl::Time expire_time,
                                                  const audit::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(secret.Reveal(), EnrollmentAd(name)));
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params(
        "INSERT INTO auth.totp_enrollments (user_name, secret, expire_time) "
        "VALUES ($1, $2, $3::timestamptz) ON CONFLICT (user_name) DO UPDATE SET "
        "secret = EXCLUDED.secret, expire_time = EXCLUDED.expire_time",
        S(name), db::Bytea(sealed), db::Timestamptz(expire_time));
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
  // The foreign key refuses an enrollment for a user that does not exist (any more).
  if (absl::IsFailedPrecondition(s)) return NoSuchUser(name);
  return s;
}

absl::StatusOr<SecretString> PostgresUserStore::GetTotpEnrollment(std::string_view name,
                                                                  absl::Time now) {
  std::string sealed;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            "SELECT secret FROM auth.totp_enrollments WHERE user_name = $1 "
            "AND expire_time > $2::timestamptz",
            S(name), db::Timestamptz(now));
        if (r.empty()) {
          return absl::NotFoundError(
              absl::StrCat("no pending TOTP enrollment for user \"", S(name), "\""));
        }
        sealed = db::BytesOf(r[0][0]);
        return absl::OkStatus();
      }));
  return kek_->Open(sealed, EnrollmentAd(name));
}

absl::Status PostgresUserStore::ActivateTotp(std::string_view name, const SecretString& secret,
                                             absl::Time now, const audit::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(secret.Reveal(), TotpAd(name)));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "DELETE FROM auth.totp_enrollments WHERE user_name = $1 AND expire_time > "
        "$2::timestamptz RETURNING secret",
        S(name), db::Timestamptz(now));
    if (r.empty()) {
      return absl::FailedPreconditionError("the TOTP enrollment expired or was replaced");
    }
    absl::StatusOr<SecretString> pending = kek_->Open(db::BytesOf(r[0][0]), EnrollmentAd(name));
    if (!pending.ok()) return pending.status();
    if (!crypto::ConstantTimeEquals(pending->Reveal(), secret.Reveal())) {
      return absl::FailedPreconditionError("the TOTP enrollment expired or was replaced");
    }
    txn.exec_params(
        "UPDATE auth.users SET totp_secret = $2, update_time = $3::timestamptz WHERE name = $1",
        S(name), db::Bytea(sealed), db::Timestamptz(now));
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::Status PostgresUserStore::ResetTotp(std::string_view name, absl::Time now,
                                          const audit::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat("UPDATE auth.users SET totp_secret = NULL, update_time = $2::timestamptz, ",
                     kNewGeneration, " WHERE name = $1 RETURNING name"),
        S(name), db::Timestamptz(now));
    if (r.empty()) return NoSuchUser(name);
    txn.exec_params("DELETE FROM auth.totp_enrollments WHERE user_name = $1", S(name));
    pg::RevokeUserSessions(txn, name, "", event.actor(), now);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

}  // namespace jit::auth
