// InMemoryOidcUsedStateStore: OidcUsedStateStore (services/auth/oidc/state_store.h) in a map,
// for unit tests. MarkUsed is atomic (one mutex): of two marks of one id exactly one
// succeeds, as the interface asks; never UNAVAILABLE. Thread-safe.
#ifndef JIT_SERVICES_AUTH_OIDC_TESTING_IN_MEMORY_OIDC_USED_STATE_STORE_H_
#define JIT_SERVICES_AUTH_OIDC_TESTING_IN_MEMORY_OIDC_USED_STATE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/oidc/state_store.h"

namespace jit::auth::oidc::testing {

class InMemoryOidcUsedStateStore final : public OidcUsedStateStore {
 public:
  absl::Status MarkUsed(std::string_view login_id, absl::Time expire_time) override;
  absl::StatusOr<bool> IsUsed(std::string_view login_id) override;
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before) override;
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> used_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth::oidc::testing

#endif  // JIT_SERVICES_AUTH_OIDC_TESTING_IN_MEMORY_OIDC_USED_STATE_STORE_H_
