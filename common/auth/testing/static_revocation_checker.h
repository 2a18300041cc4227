// StaticRevocationChecker: a RevocationChecker over a fixed in-memory set, for unit tests:
// Revoke(session) refuses a session (UNAUTHENTICATED), SetUnavailable(true) makes every check
// UNAVAILABLE as a stale list would. Thread-safe.
#ifndef JIT_COMMON_AUTH_TESTING_STATIC_REVOCATION_CHECKER_H_
#define JIT_COMMON_AUTH_TESTING_STATIC_REVOCATION_CHECKER_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/revocation.h"

namespace jit::auth {

class StaticRevocationChecker final : public RevocationChecker {
 public:
  void Revoke(std::string session_id) {
    absl::MutexLock lock(&mu_);
    revoked_[std::move(session_id)] = absl::InfiniteFuture();
  }
  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }
  absl::Status CheckSession(std::string_view session_id) const override;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> revoked_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_TESTING_STATIC_REVOCATION_CHECKER_H_
