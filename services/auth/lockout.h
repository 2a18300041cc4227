// Login throttling: after `max_failures` failed logins for a user name, each within `window`
// of the previous one, further attempts are refused for a back-off that doubles with every
// further failure (base_lockout, 2x, 4x, ... capped at max_lockout). A success clears the
// record; a quiet `window` after the last failure does too.
//
// The record is kept per submitted user name whether or not the user exists, so the
// behaviour (and the answer) for an unknown name is the same as for a real one. Attempts
// refused while locked are not counted (they cannot extend the lock).
#ifndef JIT_SERVICES_AUTH_LOCKOUT_H_
#define JIT_SERVICES_AUTH_LOCKOUT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace jit::auth {

struct LockoutPolicy {
  int max_failures = 5;
  absl::Duration window = absl::Minutes(15);
  absl::Duration base_lockout = absl::Minutes(1);
  // At most `window`, so that waiting out a lock never also resets the count.
  absl::Duration max_lockout = absl::Minutes(15);
};

struct LoginFailures {
  int count = 0;
  absl::Time last_failure = absl::InfinitePast();
};

// Failure counters per user name (phase 2: a table in the auth schema). Thread-safe.
class LoginAttemptStore {
 public:
  virtual ~LoginAttemptStore() = default;
  // The record; count 0 when there is none.
  virtual absl::StatusOr<LoginFailures> Get(std::string_view user) = 0;
  // Atomically: when the record's last failure is older than `window` before `now` (or there
  // is none) the count restarts at 1, else it grows by one; last_failure becomes `now`.
  // Returns the new record.
  virtual absl::StatusOr<LoginFailures> RecordFailure(std::string_view user, absl::Time now,
                                                      absl::Duration window) = 0;
  virtual absl::Status Clear(std::string_view user) = 0;
};

class InMemoryLoginAttemptStore final : public LoginAttemptStore {
 public:
  absl::StatusOr<LoginFailures> Get(std::string_view user) override;
  absl::StatusOr<LoginFailures> RecordFailure(std::string_view user, absl::Time now,
                                              absl::Duration window) override;
  absl::Status Clear(std::string_view user) override;

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, LoginFailures> records_ ABSL_GUARDED_BY(mu_);
};

// Thread-safe; borrows store and clock.
class LoginThrottle {
 public:
  // INVALID_ARGUMENT for a non-positive max_failures, window or lockout.
  static absl::StatusOr<std::unique_ptr<LoginThrottle>> Create(LockoutPolicy policy,
                                                               LoginAttemptStore* store,
                                                               const Clock* clock);

  // OK, or UNAUTHENTICATED "too many failed login attempts; retry in N s" while locked.
  absl::Status CheckAllowed(std::string_view user);
  // Counts a failed attempt.
  absl::Status RecordFailure(std::string_view user);
  // Clears the record after a successful login.
  absl::Status RecordSuccess(std::string_view user);

  // When `failures` locks the user until (InfinitePast when it does not).
  absl::Time LockedUntil(const LoginFailures& failures) const;

 private:
  LoginThrottle(LockoutPolicy policy, LoginAttemptStore* store, const Clock* clock)
      : policy_(policy), store_(store), clock_(clock) {}

  const LockoutPolicy policy_;
  LoginAttemptStore* const store_;
  const Clock* const clock_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_LOCKOUT_H_
