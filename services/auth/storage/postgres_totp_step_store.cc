#include "services/auth/storage/postgres_totp_step_store.h"

#include <string>

#include "common/db/pg_transaction.h"
#include "pqxx/pqxx"

namespace jit::auth {

absl::Status PostgresTotpStepStore::Advance(std::string_view user, int64_t step) {
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "INSERT INTO auth.totp_steps AS t (user_name, last_step) VALUES ($1, $2) "
        "ON CONFLICT (user_name) DO UPDATE SET last_step = EXCLUDED.last_step "
        "WHERE t.last_step < EXCLUDED.last_step RETURNING 1",
        std::string(user), step);
    if (r.empty()) return absl::AlreadyExistsError("TOTP code already used");
    return absl::OkStatus();
  });
  // The foreign key on users: the user went away.
  if (absl::IsFailedPrecondition(s)) return absl::NotFoundError("user not found");
  return s;
}

}  // namespace jit::auth
