// TotpStepStore (totp.h) over auth.totp_steps: a conditional upsert makes Advance atomic
// across replicas, so one code is accepted once.
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_TOTP_STEP_STORE_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_TOTP_STEP_STORE_H_

#include "common/db/pg_pool.h"
#include "services/auth/totp.h"

namespace jit::auth {

// Thread-safe; borrows the pool. Advance for a user that does not exist is NOT_FOUND.
class PostgresTotpStepStore final : public TotpStepStore {
 public:
  explicit PostgresTotpStepStore(db::PgPool* pool) : pool_(pool) {}
  absl::Status Advance(std::string_view user, int64_t step) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_TOTP_STEP_STORE_H_
