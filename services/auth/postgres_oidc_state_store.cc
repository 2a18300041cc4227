#include "services/auth/postgres_oidc_state_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/pg_transaction.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/postgres_rows.h"

namespace jit::auth {
namespace {

std::string StateAd(const std::string& key) { return absl::StrCat("oidc_state:", key); }

// nonce and verifier are base64url / RFC 7636 unreserved characters: no newline in either.
SecretString Pack(const oidc::PendingOidcLogin& login) {
  std::string packed(login.nonce.Reveal());
  packed.push_back('\n');
  packed.append(login.pkce_verifier.Reveal());
  return SecretString(std::move(packed));
}

}  // namespace

absl::Status PostgresOidcStateStore::Put(const std::string& key, oidc::PendingOidcLogin login,
                                         absl::Time now) {
  if (login.nonce.Reveal().find('\n') != std::string_view::npos) {
    return absl::InvalidArgumentError("nonce must not contain a newline");
  }
  ASSIGN_OR_RETURN(std::string sealed, kek_->Seal(Pack(login).Reveal(), StateAd(key)));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    const int64_t waiting =
        txn.exec_params("SELECT count(*) FROM auth.oidc_states WHERE expire_time > $1::timestamptz",
                        pg::Timestamp(now))[0][0]
            .as<int64_t>();
    if (waiting >= capacity_) {
      return absl::ResourceExhaustedError("too many OIDC logins in progress; retry later");
    }
    txn.exec_params(
        "INSERT INTO auth.oidc_states (state_hash, connector, secrets, redirect_url, "
        "expire_time) VALUES ($1, $2, $3, $4, $5::timestamptz)",
        key, login.connector, pg::Bytes(sealed), login.redirect_url,
        pg::Timestamp(login.expire_time));
    return absl::OkStatus();
  });
}

absl::StatusOr<oidc::PendingOidcLogin> PostgresOidcStateStore::Take(const std::string& key,
                                                                    absl::Time now) {
  oidc::PendingOidcLogin out;
  std::string sealed;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // Deleted whether or not it expired: single use either way.
    pqxx::result r = txn.exec_params(
        absl::StrCat("DELETE FROM auth.oidc_states WHERE state_hash = $1 RETURNING connector, "
                     "secrets, redirect_url, ",
                     pg::MicrosOf("expire_time")),
        key);
    if (r.empty()) return absl::NotFoundError("unknown OIDC login state");
    out.connector = r[0][0].as<std::string>();
    sealed = pg::BytesOf(r[0][1]);
    out.redirect_url = r[0][2].as<std::string>();
    out.expire_time = pg::TimeFromMicros(r[0][3]);
    return absl::OkStatus();
  }));
  if (out.expire_time <= now) return absl::NotFoundError("OIDC login state expired");
  ASSIGN_OR_RETURN(SecretString packed, kek_->Open(sealed, StateAd(key)));
  const std::string_view text = packed.Reveal();
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return absl::DataLossError("OIDC login state corrupt");
  out.nonce = SecretString(text.substr(0, newline));
  out.pkce_verifier = SecretString(text.substr(newline + 1));
  return out;
}

absl::StatusOr<std::string> PostgresOidcStateStore::ConnectorOf(const std::string& key,
                                                                absl::Time now) {
  std::string connector;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            "SELECT connector FROM auth.oidc_states WHERE state_hash = $1 AND "
            "expire_time > $2::timestamptz",
            key, pg::Timestamp(now));
        if (r.empty()) return absl::NotFoundError("unknown OIDC login state");
        connector = r[0][0].as<std::string>();
        return absl::OkStatus();
      }));
  return connector;
}

absl::StatusOr<int64_t> PostgresOidcStateStore::DeleteExpired(absl::Time before) {
  int64_t n = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    n = static_cast<int64_t>(
        txn.exec_params("DELETE FROM auth.oidc_states WHERE expire_time < $1::timestamptz",
                        pg::Timestamp(before))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
