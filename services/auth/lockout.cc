#include "services/auth/lockout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace jit::auth {
namespace {
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

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

absl::StatusOr<LoginFailures> InMemoryLoginAttemptStore::Get(std::string_view user) {
  absl::MutexLock lock(&mu_);
  const auto it = records_.find(AsAbsl(user));
  return it == records_.end() ? LoginFailures{} : it->second.failures;
}

absl::StatusOr<AttemptReservation> InMemoryLoginAttemptStore::Reserve(std::string_view user,
                                                                      absl::Time now,
                                                                      const LockoutPolicy& policy) {
  absl::MutexLock lock(&mu_);
  const auto it = records_.find(AsAbsl(user));
  if (it != records_.end() && now < LockedUntil(policy, it->second.failures)) {
    return AttemptReservation{.reserved = false, .failures = it->second.failures};
  }
  Record& r = records_[std::string(user)];
  AttemptReservation out{.reserved = true};
  if (r.failures.count == 0 || now - r.failures.last_failure > policy.window) {
    r.failures.count = 1;
    r.series = ++last_series_;
  } else {
    out.previous_last_failure = r.failures.last_failure;
    ++r.failures.count;
  }
  r.failures.last_failure = now;
  out.failures = r.failures;
  out.series = r.series;
  return out;
}

absl::Status InMemoryLoginAttemptStore::Refund(std::string_view user,
                                               const AttemptReservation& reservation) {
  absl::MutexLock lock(&mu_);
  const auto it = records_.find(AsAbsl(user));
  if (!reservation.reserved || it == records_.end() || it->second.series != reservation.series) {
    return absl::OkStatus();
  }
  LoginFailures& f = it->second.failures;
  if (f.count <= 1) {
    records_.erase(it);
    return absl::OkStatus();
  }
  if (f.count == reservation.failures.count &&
      f.last_failure == reservation.failures.last_failure &&
      reservation.previous_last_failure != absl::InfinitePast()) {
    f.last_failure = reservation.previous_last_failure;  // nothing counted since
  }
  --f.count;
  return absl::OkStatus();
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
