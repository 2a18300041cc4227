#include "services/auth/storage/postgres_signing_key_store.h"

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

std::string KeyAd(std::string_view kid) { return absl::StrCat("signing_key:", std::string(kid)); }

// Every key with the activation time of the key after it (NULL for the newest); keys are
// ordered by (activate_time, kid) everywhere.
const std::string& WithSuccessor() {
  static const std::string* const sql = new std::string(
      absl::StrCat("SELECT kid, public_key, ", db::MicrosOf("create_time"), " AS create_us, ",
                   db::MicrosOf("activate_time"), " AS activate_us, ",
                   "lead(activate_time) OVER (ORDER BY activate_time, kid) AS next_activate "
                   "FROM auth.signing_keys"));
  return *sql;
}

void InsertKey(pqxx::transaction_base& txn, const SigningKeyRecord& key,
               const std::string& sealed) {
  txn.exec_params(
      "INSERT INTO auth.signing_keys (kid, algorithm, public_key, private_key, create_time, "
      "activate_time) VALUES ($1, 'EdDSA', $2, $3, $4::timestamptz, $5::timestamptz)",
      key.kid, db::Bytea(key.public_key), db::Bytea(sealed), db::Timestamptz(key.create_time),
      db::Timestamptz(key.activate_time));
}

}  // namespace

absl::Status PostgresSigningKeyStore::NeedKek() const {
  if (kek_ == nullptr) {
    return absl::FailedPreconditionError("signing key store opened without the KEK");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SigningKeyRecord>> PostgresSigningKeyStore::ListPublished(
    absl::Time now, absl::Duration retention) {
  std::vector<SigningKeyRecord> out;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.clear();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT kid, public_key, create_us, activate_us FROM (", WithSuccessor(),
                         ") k WHERE next_activate IS NULL OR next_activate > $1::timestamptz "
                         "ORDER BY activate_us, kid"),
            db::Timestamptz(now - retention));
        for (const pqxx::row& row : r) {
          out.push_back({.kid = row[0].as<std::string>(),
                         .public_key = db::BytesOf(row[1]),
                         .create_time = db::TimeFromMicros(row[2]),
                         .activate_time = db::TimeFromMicros(row[3])});
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<ActiveSigningKey> PostgresSigningKeyStore::Active(absl::Time now) {
  RETURN_IF_ERROR(NeedKek());
  ActiveSigningKey out;
  std::string sealed;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT kid, public_key, private_key, ", db::MicrosOf("create_time"), ", ",
                         db::MicrosOf("activate_time"),
                         " FROM auth.signing_keys WHERE activate_time <= $1::timestamptz "
                         "ORDER BY activate_time DESC, kid DESC LIMIT 1"),
            db::Timestamptz(now));
        if (r.empty()) return absl::NotFoundError("no active signing key");
        out.key.kid = r[0][0].as<std::string>();
        out.key.public_key = db::BytesOf(r[0][1]);
        sealed = db::BytesOf(r[0][2]);
        out.key.create_time = db::TimeFromMicros(r[0][3]);
        out.key.activate_time = db::TimeFromMicros(r[0][4]);
        pqxx::result next = txn.exec_params(
            absl::StrCat("SELECT ", db::MicrosOf("min(activate_time)"),
                         " FROM auth.signing_keys WHERE activate_time > $1::timestamptz"),
            db::Timestamptz(now));
        out.next_activation.reset();
        if (!next[0][0].is_null()) out.next_activation = db::TimeFromMicros(next[0][0]);
        return absl::OkStatus();
      }));
  absl::StatusOr<SecretString> seed = kek_->Open(sealed, KeyAd(out.key.kid));
  if (!seed.ok()) {
    return absl::Status(seed.status().code(),
                        absl::StrCat("signing key ", out.key.kid, ": ", seed.status().message()));
  }
  out.key.seed = *std::move(seed);
  return out;
}

absl::Status PostgresSigningKeyStore::Add(const SigningKeyRecord& key,
                                          const audit::AuditEvent& event) {
  RETURN_IF_ERROR(NeedKek());
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(key.seed.Reveal(), KeyAd(key.kid)));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    InsertKey(txn, key, sealed);
    audit::InsertOutboxEvent(txn, kAuthService, event);
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> PostgresSigningKeyStore::AddIfEmpty(const SigningKeyRecord& key,
                                                         const audit::AuditEvent& event) {
  RETURN_IF_ERROR(NeedKek());
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(key.seed.Reveal(), KeyAd(key.kid)));
  bool added = false;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // Replicas starting together: the lock makes the second wait and then find the key.
    txn.exec("LOCK TABLE auth.signing_keys IN SHARE ROW EXCLUSIVE MODE");
    added = txn.exec("SELECT 1 FROM auth.signing_keys LIMIT 1").empty();
    if (added) {
      InsertKey(txn, key, sealed);
      audit::InsertOutboxEvent(txn, kAuthService, event);
    }
    return absl::OkStatus();
  }));
  return added;
}

absl::StatusOr<int64_t> PostgresSigningKeyStore::DeleteRetired(absl::Time now,
                                                               absl::Duration retention) {
  int64_t n = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    n = static_cast<int64_t>(
        txn.exec_params(
               absl::StrCat("DELETE FROM auth.signing_keys WHERE kid IN (SELECT kid "
                            "FROM (",
                            WithSuccessor(), ") k WHERE next_activate <= $1::timestamptz)"),
               db::Timestamptz(now - retention))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
