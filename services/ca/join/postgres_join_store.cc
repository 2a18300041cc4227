#include "services/ca/join/postgres_join_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/ca/join/join_token.h"
#include "services/ca/service_name.h"

namespace jit::ca::join {
namespace {

constexpr char kSeparator[] = "\x1f";
constexpr char kInternalCaAd[] = "internal_ca";

std::vector<std::string> Split(const pqxx::field& field) {
  std::vector<std::string> out;
  const std::string text = field.as<std::string>();
  if (text.empty()) return out;
  for (absl::string_view part : absl::StrSplit(text, kSeparator)) out.emplace_back(part);
  return out;
}

}  // namespace

absl::Status PostgresJoinStore::CreateToken(const JoinTokenRecord& token,
                                            const jit::common::v1::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string kind, JoinTokenKindName(token.kind));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params(
        "INSERT INTO ca.join_tokens (token_id, token_hash, kind, allowed_names, creator, "
        "create_time, expire_time) VALUES ($1, $2, $3, string_to_array($4, E'\\x1f'), $5, "
        "$6::timestamptz, $7::timestamptz)",
        token.token_id, token.token_hash, kind, absl::StrJoin(token.allowed_names, kSeparator),
        token.creator, db::Timestamptz(token.create_time), db::Timestamptz(token.expire_time));
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  });
}

absl::StatusOr<JoinTokenRecord> PostgresJoinStore::Redeem(
    std::string_view token_id, absl::Time now, std::string_view redeemed_as, const Check& check,
    const std::optional<EnrolledHost>& host, const jit::common::v1::AuditEvent& event) {
  JoinTokenRecord record;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT token_id, token_hash, kind, array_to_string(allowed_names, "
                     "E'\\x1f'), creator, ",
                     db::MicrosOf("create_time"), ", ", db::MicrosOf("expire_time"),
                     ", redeem_time IS NOT NULL, ", db::MicrosOf("redeem_time"),
                     ", coalesce(redeemed_as, '') FROM ca.join_tokens WHERE token_id = $1 "
                     "FOR UPDATE"),
        std::string(token_id));
    if (r.empty()) return absl::NotFoundError("unknown join token");
    if (after_lock_for_testing) after_lock_for_testing();
    const pqxx::row row = r[0];
    record = JoinTokenRecord{};
    record.token_id = row[0].as<std::string>();
    record.token_hash = row[1].as<std::string>();
    ASSIGN_OR_RETURN(record.kind, ParseJoinTokenKind(row[2].as<std::string>()));
    record.allowed_names = Split(row[3]);
    record.creator = row[4].as<std::string>();
    record.create_time = db::TimeFromMicros(row[5]);
    record.expire_time = db::TimeFromMicros(row[6]);
    if (row[7].as<bool>()) record.redeem_time = db::TimeFromMicros(row[8]);
    record.redeemed_as = row[9].as<std::string>();
    RETURN_IF_ERROR(check(record));
    txn.exec_params(
        "UPDATE ca.join_tokens SET redeem_time = $2::timestamptz, redeemed_as = $3 "
        "WHERE token_id = $1",
        record.token_id, db::Timestamptz(now), std::string(redeemed_as));
    if (host.has_value()) {
      txn.exec_params(
          "INSERT INTO ca.enrolled_hosts (name, principals, host_key_fingerprint, token_id, "
          "enroll_time) VALUES ($1, string_to_array($2, E'\\x1f'), $3, $4, $5::timestamptz) "
          "ON CONFLICT (name) DO UPDATE SET principals = EXCLUDED.principals, "
          "host_key_fingerprint = EXCLUDED.host_key_fingerprint, token_id = EXCLUDED.token_id, "
          "enroll_time = EXCLUDED.enroll_time",
          host->name, absl::StrJoin(host->principals, kSeparator), host->host_key_fingerprint,
          record.token_id, db::Timestamptz(host->enroll_time));
    }
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  }));
  record.redeem_time = now;
  record.redeemed_as = std::string(redeemed_as);
  return record;
}

absl::StatusOr<std::optional<EnrolledHost>> PostgresJoinStore::GetHost(std::string_view name) {
  std::optional<EnrolledHost> host;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        host.reset();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT name, array_to_string(principals, E'\\x1f'), "
                         "host_key_fingerprint, token_id, ",
                         db::MicrosOf("enroll_time"), " FROM ca.enrolled_hosts WHERE name = $1"),
            std::string(name));
        if (r.empty()) return absl::OkStatus();
        EnrolledHost h;
        h.name = r[0][0].as<std::string>();
        h.principals = Split(r[0][1]);
        h.host_key_fingerprint = r[0][2].as<std::string>();
        h.token_id = r[0][3].as<std::string>();
        h.enroll_time = db::TimeFromMicros(r[0][4]);
        host = std::move(h);
        return absl::OkStatus();
      }));
  return host;
}

absl::StatusOr<std::optional<InternalCaRecord>> PostgresJoinStore::LoadInternalCa() {
  std::optional<std::pair<std::string, std::string>> row;
  absl::Time import_time;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        row.reset();
        pqxx::result r = txn.exec(absl::StrCat("SELECT certificate_pem, sealed_private_key, ",
                                               db::MicrosOf("import_time"),
                                               " FROM ca.internal_ca WHERE id = 1"));
        if (r.empty()) return absl::OkStatus();
        row.emplace(r[0][0].as<std::string>(), db::BytesOf(r[0][1]));
        import_time = db::TimeFromMicros(r[0][2]);
        return absl::OkStatus();
      }));
  if (!row.has_value()) return std::optional<InternalCaRecord>();
  absl::StatusOr<SecretString> key = kek_->Open(row->second, kInternalCaAd);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat("internal CA key: ", key.status().message()));
  }
  return std::optional<InternalCaRecord>(InternalCaRecord{.certificate_pem = row->first,
                                                          .private_key_pem = *std::move(key),
                                                          .import_time = import_time});
}

absl::StatusOr<bool> PostgresJoinStore::ImportInternalCaIfAbsent(
    const InternalCaRecord& ca, const jit::common::v1::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(ca.private_key_pem.Reveal(), kInternalCaAd));
  bool added = false;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "INSERT INTO ca.internal_ca (id, certificate_pem, sealed_private_key, import_time) "
        "VALUES (1, $1, $2, $3::timestamptz) ON CONFLICT (id) DO NOTHING RETURNING id",
        ca.certificate_pem, db::Bytea(sealed), db::Timestamptz(ca.import_time));
    added = !r.empty();
    if (added) audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  }));
  return added;
}

}  // namespace jit::ca::join
