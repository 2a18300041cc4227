// Server-side state of OIDC logins in flight, so that any replica can complete a login begun
// on another: the state value maps to the nonce, the PKCE verifier and the redirect URL.
//
// Keys are SHA-256 digests of the state (hex), so a copy of the store does not let anyone
// complete a login; entries are single use and expire.
#ifndef JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_
#define JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace jit::auth::oidc {

// The store key of a state value: its SHA-256, hex.
std::string OidcStateKey(std::string_view state);

struct PendingOidcLogin {
  std::string connector;
  SecretString nonce;
  SecretString pkce_verifier;
  std::string redirect_url;
  absl::Time expire_time;
};

// Phase 2: a table in the auth schema (DELETE ... RETURNING for Take). Thread-safe.
class OidcStateStore {
 public:
  virtual ~OidcStateStore() = default;
  // ALREADY_EXISTS on a key collision; RESOURCE_EXHAUSTED when the store is full of entries
  // that have not expired by `now`.
  virtual absl::Status Put(const std::string& key, PendingOidcLogin login, absl::Time now) = 0;
  // Removes and returns the entry. NOT_FOUND when there is none or it expired before `now`.
  virtual absl::StatusOr<PendingOidcLogin> Take(const std::string& key, absl::Time now) = 0;
  // The connector an entry belongs to, without consuming it (so that a server with several
  // connectors knows which one completes a login). NOT_FOUND as for Take.
  virtual absl::StatusOr<std::string> ConnectorOf(const std::string& key, absl::Time now) = 0;
};

// In memory, bounded (BeginOidcLogin is unauthenticated: a flood must not exhaust memory).
class InMemoryOidcStateStore final : public OidcStateStore {
 public:
  explicit InMemoryOidcStateStore(size_t capacity = 10'000) : capacity_(capacity) {}
  absl::Status Put(const std::string& key, PendingOidcLogin login, absl::Time now) override;
  absl::StatusOr<PendingOidcLogin> Take(const std::string& key, absl::Time now) override;
  absl::StatusOr<std::string> ConnectorOf(const std::string& key, absl::Time now) override;
  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PendingOidcLogin> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_STATE_STORE_H_
