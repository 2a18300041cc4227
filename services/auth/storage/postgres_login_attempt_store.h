// LoginAttemptStore (lockout.h) over auth.login_failures: one row per submitted user name.
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_LOGIN_ATTEMPT_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_LOGIN_ATTEMPT_STORE_H_

#include "common/db/pg_pool.h"
#include "services/auth/lockout.h"

namespace jit::auth {

// Thread-safe; borrows the pool. Reserve and Refund each run in one short transaction
// holding the name's row lock, so replicas counting attempts for the same name at once are
// serialised: none is lost and none passes a lock another one just completed.
class PostgresLoginAttemptStore final : public LoginAttemptStore {
 public:
  explicit PostgresLoginAttemptStore(db::PgPool* pool) : pool_(pool) {}

  absl::StatusOr<LoginFailures> Get(std::string_view user) override;
  // One query for the whole list.
  absl::StatusOr<absl::flat_hash_map<std::string, LoginFailures>> GetMany(
      const std::vector<std::string>& users) override;
  absl::StatusOr<AttemptReservation> Reserve(std::string_view user, absl::Time now,
                                             const LockoutPolicy& policy) override;
  absl::Status Refund(std::string_view user, const AttemptReservation& reservation) override;
  absl::Status Clear(std::string_view user) override;

  // Forgets records whose last failure is before `before` (they no longer count).
  absl::StatusOr<int64_t> DeleteStale(absl::Time before);

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_LOGIN_ATTEMPT_STORE_H_
