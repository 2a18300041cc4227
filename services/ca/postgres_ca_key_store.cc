#include "services/ca/postgres_ca_key_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/ca/service_name.h"

namespace jit::ca {
namespace {

std::string KeyAd(std::string_view key_id) { return absl::StrCat("ca_key:", std::string(key_id)); }

struct SealedRow {
  CaKeyRecord record;
  std::string sealed;
};

}  // namespace

absl::StatusOr<std::vector<CaKeyRecord>> PostgresCaKeyStore::ListKeys() {
  std::vector<SealedRow> rows;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        rows.clear();
        pqxx::result r = txn.exec(absl::StrCat(
            "SELECT key_id, kind, algorithm, state, public_key, sealed_private_key, ",
            db::MicrosOf("create_time"),
            " FROM ca.ca_keys WHERE state <> 'retired' ORDER BY kind, create_time, key_id"));
        for (const pqxx::row& row : r) {
          SealedRow out;
          out.record.key_id = row[0].as<std::string>();
          ASSIGN_OR_RETURN(out.record.kind, ParseCaKind(row[1].as<std::string>()));
          ASSIGN_OR_RETURN(out.record.algorithm,
                           crypto::ParseCaKeyAlgorithm(row[2].as<std::string>()));
          ASSIGN_OR_RETURN(out.record.state, ParseCaKeyState(row[3].as<std::string>()));
          out.record.public_key = row[4].as<std::string>();
          out.sealed = db::BytesOf(row[5]);
          out.record.create_time = db::TimeFromMicros(row[6]);
          rows.push_back(std::move(out));
        }
        return absl::OkStatus();
      }));
  std::vector<CaKeyRecord> keys;
  keys.reserve(rows.size());
  for (SealedRow& row : rows) {
    absl::StatusOr<SecretString> opened = kek_->Open(row.sealed, KeyAd(row.record.key_id));
    if (!opened.ok()) {
      return absl::Status(opened.status().code(), absl::StrCat("CA key ", row.record.key_id, ": ",
                                                               opened.status().message()));
    }
    row.record.private_key_pem = *std::move(opened);
    keys.push_back(std::move(row.record));
  }
  return keys;
}

absl::StatusOr<bool> PostgresCaKeyStore::AddActiveIfAbsent(
    const CaKeyRecord& key, const jit::common::v1::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(key.private_key_pem.Reveal(), KeyAd(key.key_id)));
  bool added = false;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, "
        "sealed_private_key, create_time, state_time) "
        "VALUES ($1, $2, $3, 'active', $4, $5, $6::timestamptz, $6::timestamptz) "
        "ON CONFLICT (kind) WHERE state = 'active' DO NOTHING RETURNING key_id",
        key.key_id, std::string(CaKindName(key.kind)),
        std::string(crypto::CaKeyAlgorithmName(key.algorithm)), key.public_key, db::Bytea(sealed),
        db::Timestamptz(key.create_time));
    added = !r.empty();
    if (added) audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  }));
  return added;
}

}  // namespace jit::ca
