#include "services/auth/lockout.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace jit::auth {
namespace {
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

absl::StatusOr<LoginFailures> InMemoryLoginAttemptStore::Get(std::string_view user) {
  absl::MutexLock lock(&mu_);
  const auto it = records_.find(AsAbsl(user));
  return it == records_.end() ? LoginFailures{} : it->second;
}

absl::StatusOr<LoginFailures> InMemoryLoginAttemptStore::RecordFailure(std::string_view user,
                                                                       absl::Time now,
                                                                       absl::Duration window) {
  absl::MutexLock lock(&mu_);
  LoginFailures& r = records_[std::string(user)];
  r.count = (r.count == 0 || now - r.last_failure > window) ? 1 : r.count + 1;
  r.last_failure = now;
  return r;
}

absl::Status InMemoryLoginAttemptStore::Clear(std::string_view user) {
  absl::MutexLock lock(&mu_);
  records_.erase(AsAbsl(user));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LoginThrottle>> LoginThrottle::Create(LockoutPolicy policy,
                                                                     LoginAttemptStore* store,
                                                                     const Clock* clock) {
  if (policy.max_failures < 1 || policy.window <= absl::ZeroDuration() ||
      policy.base_lockout <= absl::ZeroDuration() || policy.max_lockout < policy.base_lockout ||
      policy.max_lockout > policy.window) {
    return absl::InvalidArgumentError(
        "lockout: max_failures, window and lockout durations must be positive, with "
        "base_lockout <= max_lockout <= window");
  }
  if (store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("lockout needs a store and a clock");
  }
  return std::unique_ptr<LoginThrottle>(new LoginThrottle(policy, store, clock));
}

absl::Time LoginThrottle::LockedUntil(const LoginFailures& failures) const {
  if (failures.count < policy_.max_failures) return absl::InfinitePast();
  // base * 2^(count - max), capped; the shift is bounded so it cannot overflow.
  const int doublings = std::min(failures.count - policy_.max_failures, 30);
  absl::Duration lock = policy_.base_lockout;
  for (int i = 0; i < doublings && lock < policy_.max_lockout; ++i) lock *= 2;
  return failures.last_failure + std::min(lock, policy_.max_lockout);
}

absl::Status LoginThrottle::CheckAllowed(std::string_view user) {
  absl::StatusOr<LoginFailures> failures = store_->Get(user);
  if (!failures.ok()) return failures.status();
  const absl::Time now = clock_->Now();
  const absl::Time until = LockedUntil(*failures);
  if (now < until) {
    const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(until - now, absl::Seconds(1)));
    return absl::UnauthenticatedError(
        absl::StrCat("too many failed login attempts; retry in ", seconds, " s"));
  }
  return absl::OkStatus();
}

absl::Status LoginThrottle::RecordFailure(std::string_view user) {
  return store_->RecordFailure(user, clock_->Now(), policy_.window).status();
}

absl::Status LoginThrottle::RecordSuccess(std::string_view user) { return store_->Clear(user); }

}  // namespace jit::auth
