#include "services/auth/concurrency_limiter.h"

#include "absl/strings/str_cat.h"

namespace jit::auth {
namespace {

absl::Status Shed(std::string_view why) {
  return absl::ResourceExhaustedError(std::string(why) + "; retry in 1s");
}

}  // namespace

std::string SourceOfPeer(std::string_view peer) {
  for (std::string_view prefix : {"ipv4:", "ipv6:"}) {
    if (peer.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = peer.substr(prefix.size());
    if (!rest.empty() && rest.front() == '[') {
      const size_t close = rest.find(']');
      if (close != std::string_view::npos) return std::string(rest.substr(1, close - 1));
    }
    const size_t colon = rest.rfind(':');
    return std::string(colon == std::string_view::npos ? rest : rest.substr(0, colon));
  }
  return std::string(peer);
}

absl::StatusOr<ConcurrencyLimiter::Slot> ConcurrencyLimiter::Acquire(std::string_view source) {
  const std::string key(source);
  absl::MutexLock lock(&mu_);
  int& mine = per_source_[key];
  if (mine >= options_.max_per_source) {
    return Shed("too many logins in progress from this address");
  }
  auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_use_ < options_.limit; };
  if (!free()) {
    if (waiting_ >= options_.max_waiters) {
      if (mine == 0) per_source_.erase(key);
      return Shed("server busy with other logins");
    }
    ++mine;
    ++waiting_;
    const bool got = mu_.AwaitWithTimeout(absl::Condition(&free), options_.max_wait);
    --waiting_;
    // The map may have rehashed while unlocked: look the entry up again.
    int& again = per_source_[key];
    --again;
    if (!got) {
      if (again == 0) per_source_.erase(key);
      return Shed("server busy with other logins");
    }
    ++again;
  } else {
    ++mine;
  }
  ++in_use_;
  return Slot(this, key);
}

void ConcurrencyLimiter::Release(const std::string& source) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  auto it = per_source_.find(source);
  if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
}

int ConcurrencyLimiter::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

int ConcurrencyLimiter::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace jit::auth
