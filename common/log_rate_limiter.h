// Bounds how many lines one kind of event writes to the log. Events an unauthenticated peer
// can trigger at will (a refused call, a TLS handshake that fails, a request that does not
// decode) must not let it fill the disk: at most `lines_per_window` lines per `window`, and
// the next line that is written says how many were left out.
//
//   static LogRateLimiter limiter(RealClock::Get(), 10, absl::Seconds(1));
//   if (auto suppressed = limiter.Admit()) {
//     spdlog::info("rpc refused method={} ...{}", ..., SuppressedNote(*suppressed));
//   }
//
// Thread-safe; `clock` is borrowed and must outlive the limiter.
#ifndef JIT_COMMON_LOG_RATE_LIMITER_H_
#define JIT_COMMON_LOG_RATE_LIMITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace jit {

class LogRateLimiter {
 public:
  LogRateLimiter(const Clock& clock, int lines_per_window, absl::Duration window)
      : clock_(clock), lines_per_window_(lines_per_window), window_(window) {}

  // When the event may be logged: how many events were suppressed since the last logged
  // one (0 if none). nullopt: do not log it (it is counted).
  std::optional<uint64_t> Admit();

 private:
  const Clock& clock_;
  const int lines_per_window_;
  const absl::Duration window_;
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int lines_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// " (N similar lines suppressed)" for N > 0, else "".
std::string SuppressedNote(uint64_t suppressed);

}  // namespace jit

#endif  // JIT_COMMON_LOG_RATE_LIMITER_H_
