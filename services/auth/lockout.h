// Login throttling: after `max_failures` failed logins for a user name, each within `window`
// of the previous, attempts are refused for a back-off doubling per further failure
// (base_lockout .. max_lockout); a success or a quiet `window` clears the record. Records are
// kept per submitted name, existing or not, so unknown names behave like real ones.
// BeginAttempt counts an attempt as a failure before its password is hashed (atomically per
// name, across replicas), so parallel attempts cannot all pass the check: then
// AttemptSucceeded clears the record, a failure needs nothing more, and RefundAttempt takes
// the failure back when there was no verdict (a store outage). A process dying mid-attempt
// leaves it counted (fail closed). Attempts refused while locked are not counted.
#ifndef JIT_SERVICES_AUTH_LOCKOUT_H_
#define JIT_SERVICES_AUTH_LOCKOUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
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

// When `failures` locks the user name until under `policy` (InfinitePast when it does not).
absl::Time LockedUntil(const LockoutPolicy& policy, const LoginFailures& failures);

// The outcome of LoginAttemptStore::Reserve.
struct AttemptReservation {
  // False: the name was locked; nothing was counted and `failures` is the record as it is.
  bool reserved = false;
  // The record after counting this attempt (or as it is, when not reserved).
  LoginFailures failures;
  // For Refund: the run of failures the attempt was counted in, and the record's
  // last_failure before it (InfinitePast when the attempt started the run).
  int64_t series = 0;
  absl::Time previous_last_failure = absl::InfinitePast();
};

// Failure counters per user name (a table in the auth schema). Thread-safe.
class LoginAttemptStore {
 public:
  virtual ~LoginAttemptStore() = default;
  // The record; count 0 when there is none.
  virtual absl::StatusOr<LoginFailures> Get(std::string_view user) = 0;
  // The records of `users` (names without one are absent), for listing users. The default
  // asks Get for each; a database store answers in one query.
  virtual absl::StatusOr<absl::flat_hash_map<std::string, LoginFailures>> GetMany(
      const std::vector<std::string>& users);
  // Atomically per user name: when the record is locked at `now` under `policy`, counts
  // nothing (reserved = false); else counts the attempt as a failure at `now` (reserved =
  // true): the count restarts at 1, in a new series, when the last failure is older than
  // `policy.window` before `now` (or there is none), else it grows by one.
  virtual absl::StatusOr<AttemptReservation> Reserve(std::string_view user, absl::Time now,
                                                     const LockoutPolicy& policy) = 0;
  // Takes back the failure `reservation` counted: one failure fewer (none left: no record),
  // and last_failure as before it when nothing was counted since. Nothing happens when the
  // reservation's series is over (a success cleared it, or it restarted).
  virtual absl::Status Refund(std::string_view user, const AttemptReservation& reservation) = 0;
  virtual absl::Status Clear(std::string_view user) = 0;
};

// A login attempt counted by LoginThrottle::BeginAttempt, to end with AttemptSucceeded or
// RefundAttempt (or neither, when it failed).
struct LoginAttempt {
  std::string user;
  AttemptReservation reservation;
};

// Thread-safe; borrows store and clock.
class LoginThrottle {
 public:
  // INVALID_ARGUMENT for a non-positive max_failures, window or lockout.
  static absl::StatusOr<std::unique_ptr<LoginThrottle>> Create(LockoutPolicy policy,
                                                               LoginAttemptStore* store,
                                                               const Clock* clock);

  // Before checking credentials: UNAUTHENTICATED "too many failed login attempts; retry in
  // N s" while locked (nothing counted); else the attempt, counted as a failure already.
  absl::StatusOr<LoginAttempt> BeginAttempt(std::string_view user);
  // The credentials were right: clears the record.
  absl::Status AttemptSucceeded(const LoginAttempt& attempt);
  // The attempt ended without a verdict on the credentials: it does not count.
  absl::Status RefundAttempt(const LoginAttempt& attempt);

  // OK, or UNAUTHENTICATED "too many failed login attempts; retry in N s" while locked.
  // Counts nothing (for reporting; logins use BeginAttempt).
  absl::Status CheckAllowed(std::string_view user);

  // When `failures` locks the user until (InfinitePast when it does not).
  absl::Time LockedUntil(const LoginFailures& failures) const;
  // Whether `attempt`, if it fails, is the one that locks its name: the record it counted
  // is locked (an attempt is only counted while the name is not). Of many failing at once,
  // exactly one.
  bool StartsLockout(const LoginAttempt& attempt) const;

 private:
  LoginThrottle(LockoutPolicy policy, LoginAttemptStore* store, const Clock* clock)
      : policy_(policy), store_(store), clock_(clock) {}

  absl::Status Locked(absl::Time until, absl::Time now) const;

  const LockoutPolicy policy_;
  LoginAttemptStore* const store_;
  const Clock* const clock_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_LOCKOUT_H_
