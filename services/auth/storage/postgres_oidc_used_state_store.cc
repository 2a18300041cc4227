#include "services/auth/storage/postgres_oidc_used_state_store.h"

#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/auth/storage/postgres_rows.h"

namespace jit::auth {

absl::Status PostgresOidcUsedStateStore::MarkUsed(std::string_view login_id,
                                                  absl::Time expire_time) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    const pqxx::result r = txn.exec_params(
        "INSERT INTO auth.oidc_used_states (login_id, expire_time) "
        "VALUES ($1, $2::timestamptz) ON CONFLICT (login_id) DO NOTHING",
        db::Bytea(login_id), db::Timestamptz(expire_time));
    if (r.affected_rows() == 0) return absl::AlreadyExistsError("OIDC login state already used");
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> PostgresOidcUsedStateStore::IsUsed(std::string_view login_id) {
  bool used = false;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        used = !txn.exec_params("SELECT 1 FROM auth.oidc_used_states WHERE login_id = $1",
                                db::Bytea(login_id))
                    .empty();
        return absl::OkStatus();
      }));
  return used;
}

absl::StatusOr<int64_t> PostgresOidcUsedStateStore::DeleteExpired(absl::Time before) {
  int64_t n = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    n = static_cast<int64_t>(
        txn.exec_params("DELETE FROM auth.oidc_used_states WHERE expire_time < $1::timestamptz",
                        db::Timestamptz(before))
            .affected_rows());
    return absl::OkStatus();
  }));
  return n;
}

}  // namespace jit::auth
