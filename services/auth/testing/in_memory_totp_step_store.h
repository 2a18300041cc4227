// InMemoryTotpStepStore: TotpStepStore (totp.h) in a map, for unit tests. Advance is
// atomic per user (one mutex) as the interface asks; never UNAVAILABLE. Thread-safe.
#ifndef JIT_SERVICES_AUTH_TESTING_IN_MEMORY_TOTP_STEP_STORE_H_
#define JIT_SERVICES_AUTH_TESTING_IN_MEMORY_TOTP_STEP_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/auth/totp.h"

namespace jit::auth::testing {

class InMemoryTotpStepStore final : public TotpStepStore {
 public:
  absl::Status Advance(std::string_view user, int64_t step) override;

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_TESTING_IN_MEMORY_TOTP_STEP_STORE_H_
