// Which OIDC logins have been completed, so that a state (sealed_state.h) is used once.
//
// A login id is recorded only after the provider accepted the login's code and its ID token
// checked out, so nothing an unauthenticated caller can do without real logins adds entries.
// An entry is kept at least until the state's expiry, after which the state is refused as
// expired anyway; the maintenance loop deletes it a little later (kUsedOidcStateGrace).
#ifndef JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_
#define JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jit::auth::oidc {

// Thread-safe. PostgreSQL: auth.oidc_used_states
// (services/auth/storage/postgres_oidc_used_state_store.h); in memory for tests:
// testing/in_memory_oidc_used_state_store.h.
class OidcUsedStateStore {
 public:
  virtual ~OidcUsedStateStore() = default;
  // Records `login_id` as used, kept until `expire_time`. ALREADY_EXISTS when it is recorded
  // already (atomically: of two concurrent calls for one id, exactly one succeeds).
  virtual absl::Status MarkUsed(std::string_view login_id, absl::Time expire_time) = 0;
  // Whether `login_id` is recorded (a read: a replayed state is refused before the provider
  // is asked to redeem its code; MarkUsed stays the decision).
  virtual absl::StatusOr<bool> IsUsed(std::string_view login_id) = 0;
  // Forgets ids whose expiry is before `before`; returns how many went.
  virtual absl::StatusOr<int64_t> DeleteExpired(absl::Time before) = 0;
};

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_
