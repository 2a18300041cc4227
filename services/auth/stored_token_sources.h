// The auth service's own token sources (ServiceDefinition::token_sources): its verifier
// reads the signing keys and revoked sessions from its stores instead of calling itself.
// The same feed answers ListRevokedSessions for every other service.
#ifndef JIT_SERVICES_AUTH_STORED_TOKEN_SOURCES_H_
#define JIT_SERVICES_AUTH_STORED_TOKEN_SOURCES_H_

#include <memory>
#include <vector>

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/clock.h"
#include "services/auth/session_store.h"
#include "services/auth/signing_key_ring.h"
#include "services/auth/signing_key_store.h"

namespace jit::auth {

// Published signing keys from the store. Thread-compatible (as JwksSource asks); shares the
// store, borrows the clock.
class StoredJwksSource final : public JwksSource {
 public:
  StoredJwksSource(std::shared_ptr<SigningKeyStore> store, const Clock* clock,
                   absl::Duration retention)
      : store_(std::move(store)), clock_(clock), retention_(retention) {}
  absl::StatusOr<std::vector<jwt::JsonWebKey>> FetchJwks() override {
    return PublishedJwks(*store_, clock_->Now(), retention_);
  }

 private:
  const std::shared_ptr<SigningKeyStore> store_;
  const Clock* const clock_;
  const absl::Duration retention_;
};

// Revoked sessions from the store. Shares the store, borrows the clock.
class StoredRevocationFeed final : public RevocationFeed {
 public:
  StoredRevocationFeed(std::shared_ptr<SessionStore> store, const Clock* clock)
      : store_(std::move(store)), clock_(clock) {}
  absl::StatusOr<RevocationUpdate> FetchRevocations(int64_t after_cursor) override {
    return store_->ListRevoked(after_cursor, clock_->Now());
  }

 private:
  const std::shared_ptr<SessionStore> store_;
  const Clock* const clock_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_STORED_TOKEN_SOURCES_H_
