// Bounds and sheds expensive work that unauthenticated callers can start. Argon2id hashing
// takes 64 MiB and ~0.1 s of a core per call; Login is unauthenticated. Without a bound a
// burst of logins wants gigabytes; with a bound but an unbounded queue, waiting logins hold
// the server's RPC threads and starve everything else (token checks, the revocation feed).
// So work is shed early:
//   - at most `limit` run at once;
//   - at most `max_waiters` wait for a slot, each at most `max_wait`;
//   - at most `max_per_source` run or wait per source (the caller's IP address);
// and whatever is refused gets RESOURCE_EXHAUSTED at once, with retry advice in the message
// ("retry in 1s"), holding no thread. Waiting is bounded by max_wait, never by the queue.
#ifndef JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_
#define JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jit::auth {

// The source part of a gRPC peer ("ipv4:10.0.0.7:51234" -> "10.0.0.7", "ipv6:[::1]:5" ->
// "::1"); other forms are returned whole.
std::string SourceOfPeer(std::string_view peer);

// Thread-safe.
class ConcurrencyLimiter {
 public:
  struct Options {
    int limit = 4;         // >= 1
    int max_waiters = 16;  // >= 0
    absl::Duration max_wait = absl::Seconds(2);
    int max_per_source = 4;  // >= 1
  };

  // A held slot; released on destruction.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limiter_(other.limiter_), source_(std::move(other.source_)) {
      other.limiter_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limiter_ != nullptr) limiter_->Release(source_);
    }

   private:
    friend class ConcurrencyLimiter;
    Slot(ConcurrencyLimiter* limiter, std::string source)
        : limiter_(limiter), source_(std::move(source)) {}
    ConcurrencyLimiter* limiter_;
    std::string source_;
  };

  explicit ConcurrencyLimiter(Options options) : options_(options) {}

  // A slot for work from `source` ("" = unknown, counted as one source), or
  // RESOURCE_EXHAUSTED at once when the source has max_per_source in flight or the queue is
  // full, or after max_wait without a slot.
  absl::StatusOr<Slot> Acquire(std::string_view source = "");

  int in_use() const;
  int waiting() const;

 private:
  void Release(const std::string& source);

  const Options options_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_source_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_CONCURRENCY_LIMITER_H_
