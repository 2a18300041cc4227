// Bounds how many expensive operations run at once. Argon2id hashing takes 64 MiB and ~0.1 s
// of a core per call; without a bound, a burst of logins (Login is unauthenticated) on a
// server with 64 RPC threads would want 4 GiB. Callers wait for a slot up to `max_wait`, then
// get UNAVAILABLE (retryable).
#ifndef JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_
#define JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jit::auth {

// Thread-safe.
class ConcurrencyLimiter {
 public:
  // A held slot; released on destruction.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limiter_(other.limiter_) { other.limiter_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limiter_ != nullptr) limiter_->Release();
    }

   private:
    friend class ConcurrencyLimiter;
    explicit Slot(ConcurrencyLimiter* limiter) : limiter_(limiter) {}
    ConcurrencyLimiter* limiter_;
  };

  // `limit` >= 1.
  ConcurrencyLimiter(int limit, absl::Duration max_wait) : limit_(limit), max_wait_(max_wait) {}

  // A slot, or UNAVAILABLE "server busy" after max_wait without one.
  absl::StatusOr<Slot> Acquire();

  int in_use() const;

 private:
  void Release();

  const int limit_;
  const absl::Duration max_wait_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_
