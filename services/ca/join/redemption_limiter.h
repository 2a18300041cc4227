// RedemptionLimiter: rate limit of join-token redemptions (EnrollHost, JoinService), the
// only unauthenticated ca RPCs that touch the database. Token buckets: one per caller IP
// (`per_address` redemptions, refilled over `window`) and one for the replica as a whole
// (`total`, same window), so that guessing tokens from one address or from many stays slow.
// A refused attempt is RESOURCE_EXHAUSTED and costs the database nothing.
// At most `max_addresses` addresses are tracked; past that the full buckets are forgotten
// first (an address that has used nothing loses nothing by being forgotten).
// Thread-safe.
#ifndef JIT_SERVICES_CA_JOIN_REDEMPTION_LIMITER_H_
#define JIT_SERVICES_CA_JOIN_REDEMPTION_LIMITER_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace jit::ca::join {

struct RedemptionLimits {
  double per_address = 10;
  double total = 100;
  absl::Duration window = absl::Minutes(1);
  size_t max_addresses = 10000;
};

class RedemptionLimiter {
 public:
  RedemptionLimiter(const Clock* clock, RedemptionLimits limits = {})
      : clock_(clock), limits_(limits) {}

  // OK and one redemption counted, or RESOURCE_EXHAUSTED. `address` is the caller's IP
  // ("" when unknown: counted against the total only).
  absl::Status Admit(std::string_view address);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  bool Take(Bucket& bucket, double capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  const RedemptionLimits limits_;
  absl::Mutex mu_;
  Bucket total_ ABSL_GUARDED_BY(mu_) = Bucket{.tokens = -1};
  absl::flat_hash_map<std::string, Bucket> by_address_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_REDEMPTION_LIMITER_H_
