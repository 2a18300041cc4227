#include "services/ca/join/redemption_limiter.h"

#include <algorithm>
#include <vector>

namespace jit::ca::join {

bool RedemptionLimiter::Take(Bucket& bucket, double capacity, absl::Time now) {
  if (bucket.tokens < 0) {  // new
    bucket.tokens = capacity;
    bucket.last = now;
  }
  const double refill = capacity * absl::FDivDuration(now - bucket.last, limits_.window);
  if (refill > 0) {
    bucket.tokens = std::min(capacity, bucket.tokens + refill);
    bucket.last = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

absl::Status RedemptionLimiter::Admit(std::string_view address) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Bucket probe = total_;
  if (!Take(probe, limits_.total, now)) {
    total_ = probe;
    return absl::ResourceExhaustedError(
        "too many join token redemptions on this replica; try again in a minute");
  }
  if (!address.empty()) {
    if (by_address_.size() >= limits_.max_addresses) {
      // Forget the addresses whose buckets have refilled; if none, forget all (bounded memory
      // beats perfect memory here: the total bucket still holds).
      std::vector<std::string> full;
      for (auto& [a, b] : by_address_) {
        Bucket copy = b;
        copy.tokens =
            std::min(limits_.per_address,
                     copy.tokens +
                         limits_.per_address * absl::FDivDuration(now - copy.last, limits_.window));
        if (copy.tokens >= limits_.per_address) full.push_back(a);
      }
      if (full.empty()) {
        by_address_.clear();
      } else {
        for (const std::string& a : full) by_address_.erase(a);
      }
    }
    auto [it, inserted] =
        by_address_.try_emplace(std::string(address), Bucket{.tokens = -1, .last = now});
    if (!Take(it->second, limits_.per_address, now)) {
      total_ = probe;  // the total was spent on this attempt too
      return absl::ResourceExhaustedError(
          "too many join token redemptions from this address; try again in a minute");
    }
  }
  total_ = probe;
  return absl::OkStatus();
}

}  // namespace jit::ca::join
