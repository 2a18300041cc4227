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

// Binds a sealed key to its row: kind, algorithm and key id (the key id last, so no value
// can run into another; kinds and algorithms are fixed names without ':').
std::string KeyAd(const CaKeyRecord& key) {
  return absl::StrCat("ca_key:", std::string(CaKindName(key.kind)), ":",
                      std::string(crypto::CaKeyAlgorithmName(key.algorithm)), ":", key.key_id);
}
// What version-1 (XChaCha20-Poly1305) rows were bound to, before AES-256-GCM.
std::string LegacyKeyAd(std::string_view key_id) {
  return absl::StrCat("ca_key:", std::string(key_id));
}

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
    const bool legacy = crypto::KeyEncryptionKey::IsLegacy(row.sealed);
    absl::StatusOr<SecretString> opened =
        kek_->Open(row.sealed, legacy ? LegacyKeyAd(row.record.key_id) : KeyAd(row.record));
    if (!opened.ok()) {
      return absl::Status(opened.status().code(), absl::StrCat("CA key ", row.record.key_id, ": ",
                                                               opened.status().message()));
    }
    row.record.private_key_pem = *std::move(opened);
    if (legacy) RETURN_IF_ERROR(Reseal(row.record, row.sealed));
    keys.push_back(std::move(row.record));
  }
  return keys;
}

absl::Status PostgresCaKeyStore::Reseal(const CaKeyRecord& key, const std::string& legacy) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(key.private_key_pem.Reveal(), KeyAd(key)));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // Only the value read: a replica that re-sealed it first wins, and nothing is lost.
    txn.exec_params(
        "UPDATE ca.ca_keys SET sealed_private_key = $2 WHERE key_id = $1 "
        "AND sealed_private_key = $3",
        key.key_id, db::Bytea(sealed), db::Bytea(legacy));
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> PostgresCaKeyStore::AddActiveIfAbsent(
    const CaKeyRecord& key, const jit::common::v1::AuditEvent& event) {
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(key.private_key_pem.Reveal(), KeyAd(key)));
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

absl::StatusOr<RotationState> PostgresCaKeyStore::GetRotation(CaKind kind) {
  RotationState state;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        state = RotationState{};
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT phase, old_key_id, new_key_id, ", db::MicrosOf("update_time"),
                         " FROM ca.ca_rotations WHERE kind = $1"),
            std::string(CaKindName(kind)));
        if (r.empty()) return absl::OkStatus();
        ASSIGN_OR_RETURN(state.phase, ParseRotationPhase(r[0][0].as<std::string>()));
        state.old_key_id = r[0][1].as<std::string>();
        state.new_key_id = r[0][2].as<std::string>();
        state.update_time = db::TimeFromMicros(r[0][3]);
        return absl::OkStatus();
      }));
  return state;
}

absl::Status PostgresCaKeyStore::ApplyRotation(const RotationStep& step,
                                               const jit::common::v1::AuditEvent& event) {
  std::string sealed;
  if (step.new_key.has_value()) {
    ASSIGN_OR_RETURN(sealed,
                     kek_->Seal(step.new_key->private_key_pem.Reveal(), KeyAd(*step.new_key)));
  }
  const std::string kind(CaKindName(step.kind));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params(
        "INSERT INTO ca.ca_rotations (kind, phase, update_time) "
        "VALUES ($1, 'standby', $2::timestamptz) ON CONFLICT (kind) DO NOTHING",
        kind, db::Timestamptz(step.time));
    pqxx::result r =
        txn.exec_params("SELECT phase FROM ca.ca_rotations WHERE kind = $1 FOR UPDATE", kind);
    const std::string phase = r[0][0].as<std::string>();
    if (phase != std::string(RotationPhaseName(step.from))) {
      return absl::FailedPreconditionError(
          absl::StrCat("the ", kind, " CA moved to phase ", phase, " meanwhile (expected ",
                       std::string(RotationPhaseName(step.from)), "); nothing changed"));
    }
    for (const RotationStep::KeyChange& change : step.key_changes) {
      pqxx::result moved = txn.exec_params(
          "UPDATE ca.ca_keys SET state = $4, state_time = $5::timestamptz "
          "WHERE key_id = $1 AND kind = $2 AND state = $3 RETURNING 1",
          change.key_id, kind, std::string(CaKeyStateName(change.from)),
          std::string(CaKeyStateName(change.to)), db::Timestamptz(step.time));
      if (moved.size() != 1) {
        return absl::FailedPreconditionError(absl::StrCat("CA key ", change.key_id, " is not the ",
                                                          std::string(CaKeyStateName(change.from)),
                                                          " ", kind, " key; nothing changed"));
      }
    }
    if (step.new_key.has_value()) {
      const CaKeyRecord& key = *step.new_key;
      pqxx::result added = txn.exec_params(
          "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, "
          "sealed_private_key, create_time, state_time) "
          "VALUES ($1, $2, $3, 'next', $4, $5, $6::timestamptz, $6::timestamptz) "
          "ON CONFLICT DO NOTHING RETURNING 1",
          key.key_id, kind, std::string(crypto::CaKeyAlgorithmName(key.algorithm)), key.public_key,
          db::Bytea(sealed), db::Timestamptz(key.create_time));
      if (added.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("the ", kind, " CA already has a next key; nothing changed"));
      }
    }
    txn.exec_params(
        "UPDATE ca.ca_rotations SET phase = $2, old_key_id = $3, new_key_id = $4, "
        "update_time = $5::timestamptz WHERE kind = $1",
        kind, std::string(RotationPhaseName(step.to)), step.old_key_id, step.new_key_id,
        db::Timestamptz(step.time));
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  });
}

}  // namespace jit::ca
