#include "services/auth/oidc/testing/in_memory_oidc_used_state_store.h"

namespace jit::auth::oidc::testing {

absl::Status InMemoryOidcUsedStateStore::MarkUsed(std::string_view login_id,
                                                  absl::Time expire_time) {
  absl::MutexLock lock(&mu_);
  if (!used_.emplace(std::string(login_id), expire_time).second) {
    return absl::AlreadyExistsError("OIDC login state already used");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> InMemoryOidcUsedStateStore::IsUsed(std::string_view login_id) {
  absl::MutexLock lock(&mu_);
  return used_.contains(std::string(login_id));
}

absl::StatusOr<int64_t> InMemoryOidcUsedStateStore::DeleteExpired(absl::Time before) {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(
      absl::erase_if(used_, [&](const auto& entry) { return entry.second < before; }));
}

size_t InMemoryOidcUsedStateStore::size() const {
  absl::MutexLock lock(&mu_);
  return used_.size();
}

}  // namespace jit::auth::oidc::testing
