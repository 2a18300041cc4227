#include "services/auth/testing/in_memory_totp_step_store.h"

namespace jit::auth::testing {

absl::Status InMemoryTotpStepStore::Advance(std::string_view user, int64_t step) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = last_.try_emplace(std::string(user), step);
  if (inserted) return absl::OkStatus();
  if (it->second >= step) return absl::AlreadyExistsError("TOTP step already used");
  it->second = step;
  return absl::OkStatus();
}

}  // namespace jit::auth::testing
