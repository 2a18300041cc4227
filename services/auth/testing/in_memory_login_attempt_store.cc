#include "services/auth/testing/in_memory_login_attempt_store.h"

#include "common/absl_string_view.h"

namespace jit::auth::testing {

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

}  // namespace jit::auth::testing
