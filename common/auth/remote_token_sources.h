// The keys and revocations that verify session tokens, fetched from the auth service over
// mTLS: GetJwks and ListRevokedSessions. Used by every service except auth itself (which
// reads its own tables). Every call has the PeerClient's deadline; auth being down gives
// UNAVAILABLE, which the caches above turn into fail-closed answers once stale.
#ifndef JIT_COMMON_AUTH_REMOTE_TOKEN_SOURCES_H_
#define JIT_COMMON_AUTH_REMOTE_TOKEN_SOURCES_H_

#include <memory>
#include <vector>

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/client/peer.h"
#include "jit/auth/v1/auth.grpc.pb.h"

namespace jit::auth {

// Thread-safe. `auth` is not owned.
class RemoteJwksSource final : public JwksSource {
 public:
  explicit RemoteJwksSource(const client::PeerClient* auth);
  absl::StatusOr<std::vector<jwt::JsonWebKey>> FetchJwks() override;

 private:
  const client::PeerClient* const auth_;
  std::unique_ptr<jit::auth::v1::AuthService::Stub> stub_;
};

// `auth` is not owned.
class RemoteRevocationFeed final : public RevocationFeed {
 public:
  explicit RemoteRevocationFeed(const client::PeerClient* auth);
  absl::StatusOr<RevocationUpdate> FetchRevocations(int64_t after_cursor) override;

 private:
  const client::PeerClient* const auth_;
  std::unique_ptr<jit::auth::v1::AuthService::Stub> stub_;
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_REMOTE_TOKEN_SOURCES_H_
