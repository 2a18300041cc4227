// InMemoryLoginAttemptStore: LoginAttemptStore (lockout.h) in a map, for unit tests of the
// login logic. Follows the interface's contract: Reserve, Refund and Clear are atomic per
// user name (one mutex), series numbers restart a run as in PostgreSQL. Never UNAVAILABLE.
// Thread-safe.
#ifndef JIT_SERVICES_AUTH_TESTING_IN_MEMORY_LOGIN_ATTEMPT_STORE_H_
#define JIT_SERVICES_AUTH_TESTING_IN_MEMORY_LOGIN_ATTEMPT_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/lockout.h"

namespace jit::auth::testing {

class InMemoryLoginAttemptStore final : public LoginAttemptStore {
 public:
  absl::StatusOr<LoginFailures> Get(std::string_view user) override;
  absl::StatusOr<AttemptReservation> Reserve(std::string_view user, absl::Time now,
                                             const LockoutPolicy& policy) override;
  absl::Status Refund(std::string_view user, const AttemptReservation& reservation) override;
  absl::Status Clear(std::string_view user) override;

 private:
  struct Record {
    LoginFailures failures;
    int64_t series = 0;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Record> records_ ABSL_GUARDED_BY(mu_);
  int64_t last_series_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_TESTING_IN_MEMORY_LOGIN_ATTEMPT_STORE_H_
