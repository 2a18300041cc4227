#include "services/auth/lockout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace jit::auth {
absl::Time LockedUntil(const LockoutPolicy& policy, const LoginFailures& failures) {
  if (failures.count < policy.max_failures) return absl::InfinitePast();
  // base * 2^(count - max), capped; the shift is bounded so it cannot overflow.
  const int doublings = std::min(failures.count - policy.max_failures, 30);
  absl::Duration lock = policy.base_lockout;
  for (int i = 0; i < doublings && lock < policy.max_lockout; ++i) lock *= 2;
  return failures.last_failure + std::min(lock, policy.max_lockout);
}

absl::StatusOr<absl::flat_hash_map<std::string, LoginFailures>> LoginAttemptStore::GetMany(
    const std::vector<std::string>& users) {
  absl::flat_hash_map<std::string, LoginFailures> out;
  for (const std::string& user : users) {
    absl::StatusOr<LoginFailures> failures = Get(user);
    if (!failures.ok()) return failures.status();
    if (failures->count > 0) out[user] = *failures;
  }
  return out;
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
  return ::jit::auth::LockedUntil(policy_, failures);
}

absl::Status LoginThrottle::Locked(absl::Time until, absl::Time now) const {
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(until - now, absl::Seconds(1)));
  return absl::UnauthenticatedError(
      absl::StrCat("too many failed login attempts; retry in ", seconds, " s"));
}

absl::StatusOr<LoginAttempt> LoginThrottle::BeginAttempt(std::string_view user) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<AttemptReservation> reservation = store_->Reserve(user, now, policy_);
  if (!reservation.ok()) return reservation.status();
  if (!reservation->reserved) return Locked(LockedUntil(reservation->failures), now);
  return LoginAttempt{.user = std::string(user), .reservation = *std::move(reservation)};
}

absl::Status LoginThrottle::AttemptSucceeded(const LoginAttempt& attempt) {
  return store_->Clear(attempt.user);
}

absl::Status LoginThrottle::RefundAttempt(const LoginAttempt& attempt) {
  return store_->Refund(attempt.user, attempt.reservation);
}

bool LoginThrottle::StartsLockout(const LoginAttempt& attempt) const {
  return attempt.reservation.reserved &&
         LockedUntil(attempt.reservation.failures) > attempt.reservation.failures.last_failure;
}

absl::Status LoginThrottle::CheckAllowed(std::string_view user) {
  absl::StatusOr<LoginFailures> failures = store_->Get(user);
  if (!failures.ok()) return failures.status();
  const absl::Time now = clock_->Now();
  const absl::Time until = LockedUntil(*failures);
  if (now < until) return Locked(until, now);
  return absl::OkStatus();
}

}  // namespace jit::auth
