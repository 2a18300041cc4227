#include "services/ca/postgres_revocation_store.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/ca/service_name.h"

namespace jit::ca {
namespace {

std::string Columns() {
  return absl::StrCat("kind, serial, ca_key_id, key_id, ", db::MicrosOf("valid_before"), ", ",
                      db::MicrosOf("revoke_time"), ", coalesce(revoke_reason, '')");
}

absl::StatusOr<RevokedCert> CertFromRow(const pqxx::row& row) {
  RevokedCert c;
  ASSIGN_OR_RETURN(c.kind, ParseCaKind(row[0].as<std::string>()));
  c.serial = row[1].as<std::string>();
  c.ca_key_id = row[2].as<std::string>();
  c.key_id = row[3].as<std::string>();
  c.valid_before = db::TimeFromMicros(row[4]);
  c.revoked = !row[5].is_null();
  if (c.revoked) c.revoke_time = db::TimeFromMicros(row[5]);
  c.revoke_reason = row[6].as<std::string>();
  return c;
}

// A text[] literal of values that need no quoting (kinds, serials read from the table).
std::string ArrayLiteral(const std::vector<std::string>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

}  // namespace

absl::StatusOr<RevokeResult> PostgresRevocationStore::Revoke(const RevokeSelection& selection,
                                                             absl::Time now,
                                                             const std::string& reason,
                                                             MakeEvent make_event) {
  RevokeResult result;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    result = RevokeResult();
    absl::flat_hash_set<std::pair<CaKind, std::string>> seen;
    auto add = [&](RevokedCert c) {
      if (seen.insert({c.kind, c.serial}).second) result.selected.push_back(std::move(c));
    };
    for (const SerialSelector& s : selection.serials) {
      const std::string kind = s.kind.has_value() ? std::string(CaKindName(*s.kind)) : "";
      pqxx::result r = txn.exec_params(
          absl::StrCat("SELECT ", Columns(),
                       " FROM ca.issued_certs WHERE serial = $1 AND ($2 = '' OR kind = $2) "
                       "ORDER BY kind"),
          s.serial, kind);
      if (r.empty()) {
        return absl::NotFoundError(absl::StrCat("serial ", s.serial, ": no ",
                                                kind.empty() ? "" : absl::StrCat(kind, " "),
                                                "certificate with this serial was issued"));
      }
      if (r.size() > 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("serial ", s.serial,
                         ": issued under several kinds of CA; name the type to revoke one"));
      }
      ASSIGN_OR_RETURN(RevokedCert c, CertFromRow(r[0]));
      add(std::move(c));
    }
    if (!selection.grant_id.empty()) {
      pqxx::result r = txn.exec_params(
          absl::StrCat("SELECT ", Columns(),
                       " FROM ca.issued_certs WHERE grant_ids @> ARRAY[$1]::text[] ORDER BY seq"),
          selection.grant_id);
      for (const pqxx::row& row : r) {
        ASSIGN_OR_RETURN(RevokedCert c, CertFromRow(row));
        add(std::move(c));
      }
    }
    std::vector<std::string> kinds, serials;
    for (const RevokedCert& c : result.selected) {
      if (c.revoked) continue;
      kinds.emplace_back(CaKindName(c.kind));
      serials.push_back(c.serial);
    }
    if (serials.empty()) return absl::OkStatus();
    pqxx::result updated = txn.exec_params(
        absl::StrCat("UPDATE ca.issued_certs SET revoke_time = $1::timestamptz, revoke_reason = $2 "
                     "WHERE revoke_time IS NULL AND (kind, serial) IN "
                     "(SELECT * FROM unnest($3::text[], $4::text[])) RETURNING ",
                     Columns()),
        db::Timestamptz(now), reason, ArrayLiteral(kinds), ArrayLiteral(serials));
    absl::flat_hash_set<std::pair<CaKind, std::string>> newly;
    for (const pqxx::row& row : updated) {
      ASSIGN_OR_RETURN(RevokedCert c, CertFromRow(row));
      newly.insert({c.kind, c.serial});
    }
    for (RevokedCert& c : result.selected) {
      if (!newly.contains(std::make_pair(c.kind, c.serial))) continue;
      c.revoked = true;
      c.revoke_time = now;
      c.revoke_reason = reason;
      result.newly_revoked.push_back(c);
    }
    if (result.newly_revoked.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(jit::common::v1::AuditEvent event, make_event(result.newly_revoked));
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<PublishedRevocations> PostgresRevocationStore::Publish(
    CaKind kind, absl::Time now, absl::Duration reissue_after) {
  const std::string kind_name(CaKindName(kind));
  PublishedRevocations out;
  auto read_set = [&](pqxx::transaction_base& txn) -> absl::Status {
    out.revoked.clear();
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT ", Columns(),
                     " FROM ca.issued_certs WHERE kind = $1 AND revoke_time IS NOT NULL AND "
                     "valid_before > $2::timestamptz ORDER BY serial"),
        kind_name, db::Timestamptz(now));
    out.revoked.reserve(r.size());
    for (const pqxx::row& row : r) {
      ASSIGN_OR_RETURN(RevokedCert c, CertFromRow(row));
      out.revoked.push_back(std::move(c));
    }
    return absl::OkStatus();
  };
  // Whether the stored list (`r`: number, digest, this_update) is the one to serve.
  auto current = [&](const pqxx::result& r, const std::string& digest) {
    if (r.empty() || r[0][0].as<int64_t>() == 0 || r[0][1].as<std::string>() != digest) {
      return false;
    }
    const absl::Time this_update = db::TimeFromMicros(r[0][2]);
    if (now - this_update >= reissue_after) return false;
    out.number = r[0][0].as<uint64_t>();
    out.this_update = this_update;
    return true;
  };
  const std::string state_query =
      absl::StrCat("SELECT number, digest, ", db::MicrosOf("this_update"),
                   " FROM ca.revocation_lists WHERE kind = $1");
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    RETURN_IF_ERROR(read_set(txn));
    if (current(txn.exec_params(state_query, kind_name), RevokedSetDigest(out.revoked))) {
      return absl::OkStatus();
    }
    // Changed or due: lock the row, read again (read committed: a fresh snapshot per
    // statement, so what another replica just published is seen) and publish once.
    txn.exec_params(
        "INSERT INTO ca.revocation_lists (kind, number, digest, this_update) "
        "VALUES ($1, 0, '', $2::timestamptz) ON CONFLICT (kind) DO NOTHING",
        kind_name, db::Timestamptz(now));
    pqxx::result locked = txn.exec_params(absl::StrCat(state_query, " FOR UPDATE"), kind_name);
    RETURN_IF_ERROR(read_set(txn));
    const std::string digest = RevokedSetDigest(out.revoked);
    if (current(locked, digest)) return absl::OkStatus();
    pqxx::result bumped = txn.exec_params(
        "UPDATE ca.revocation_lists SET number = number + 1, digest = $2, "
        "this_update = $3::timestamptz WHERE kind = $1 RETURNING number",
        kind_name, digest, db::Timestamptz(now));
    out.number = bumped[0][0].as<uint64_t>();
    out.this_update = now;
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace jit::ca
