#include "common/log_rate_limiter.h"

#include "absl/strings/str_cat.h"

namespace jit {

std::optional<uint64_t> LogRateLimiter::Admit() {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (now - window_start_ >= window_) {
    window_start_ = now;
    lines_in_window_ = 0;
  }
  if (lines_in_window_ >= lines_per_window_) {
    ++suppressed_;
    return std::nullopt;
  }
  ++lines_in_window_;
  const uint64_t suppressed = suppressed_;
  suppressed_ = 0;
  return suppressed;
}

std::string SuppressedNote(uint64_t suppressed) {
  if (suppressed == 0) return "";
  return absl::StrCat(" (", suppressed, " similar lines suppressed)");
}

}  // namespace jit
