#include "services/auth/concurrency_limiter.h"

namespace jit::auth {

absl::StatusOr<ConcurrencyLimiter::Slot> ConcurrencyLimiter::Acquire() {
  absl::MutexLock lock(&mu_);
  auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_use_ < limit_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&free), max_wait_)) {
    return absl::UnavailableError("server busy with other logins; retry");
  }
  ++in_use_;
  return Slot(this);
}

void ConcurrencyLimiter::Release() {
  absl::MutexLock lock(&mu_);
  --in_use_;
}

int ConcurrencyLimiter::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

}  // namespace jit::auth
