// Verifies jit-access session tokens in every service.
//
// A fresh token is parsed strictly, its key is found in the JWKS cache (refreshed on an
// unknown kid), its signature and claims are checked with the injected clock, and its session
// is checked against the RevocationChecker. The result is cached under the token's SHA-256
// until the token expires; a cached token still goes through the revocation check (and the
// expiry check) on every call, so a Logout is honoured as soon as the checker knows it, and a
// key removed from the JWKS invalidates what it had verified.
//
// Errors: UNAUTHENTICATED with a precise message ("token expired", "token audience mismatch",
// "token signed by an unknown key", "session revoked", ...); UNAVAILABLE when keys or the
// revocation state cannot be obtained (the caller may retry).
//
// Thread-safe. The cache is sharded so that concurrent handlers rarely share a lock.
#ifndef JIT_COMMON_AUTH_TOKEN_VERIFIER_H_
#define JIT_COMMON_AUTH_TOKEN_VERIFIER_H_

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/clock.h"
#include "common/crypto/digest.h"
#include "common/jwt/session_token.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::auth {

class TokenVerifier {
 public:
  struct Options {
    std::string issuer;    // must equal the token's iss
    std::string audience;  // must be in the token's aud
    absl::Duration max_clock_skew = absl::Seconds(30);
    absl::Duration max_lifetime = absl::Hours(24);
    // Signature algorithms accepted for session tokens.
    std::vector<jwt::JwsAlgorithm> algorithms = {jwt::JwsAlgorithm::kEdDSA};
    // Verified tokens kept (entries are a few hundred bytes).
    size_t cache_capacity = 100'000;
    // Roles sensitive enough to want strict revocation whatever the deployment's mode
    // (--revocation_strict_roles): a session holding any of them is refused with
    // UNAVAILABLE once the revocation list is older than kStrictStaleness
    // (RevocationChecker::CheckSessionStrictly), as in strict mode.
    std::vector<std::string> strict_roles;
  };

  // `keys`, `revocation` and `clock` are not owned and must outlive the verifier.
  // INVALID_ARGUMENT for missing issuer/audience/dependencies.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(Options options, JwksCache* keys,
                                                               const RevocationChecker* revocation,
                                                               const Clock* clock);

  // The identity in `token` (a compact JWS).
  absl::StatusOr<std::shared_ptr<const jit::common::v1::Identity>> Verify(std::string_view token);

  // Same for an "authorization" metadata value: "Bearer <token>" (scheme case-insensitive).
  absl::StatusOr<std::shared_ptr<const jit::common::v1::Identity>> VerifyAuthorizationHeader(
      std::string_view header_value);

  // Number of cached verified tokens (tests and metrics).
  size_t cached_tokens() const;

 private:
  struct DigestHash {
    size_t operator()(const crypto::Sha256Digest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof(h));  // SHA-256 output is uniformly distributed
      return h;
    }
  };
  struct CacheEntry {
    std::shared_ptr<const jit::common::v1::Identity> identity;
    absl::Time valid_until;  // exp + max_clock_skew
    uint64_t key_generation;
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<crypto::Sha256Digest, CacheEntry, DigestHash> entries ABSL_GUARDED_BY(mu);
  };

  TokenVerifier(Options options, JwksCache* keys, const RevocationChecker* revocation,
                const Clock* clock);

  // CheckSession, or CheckSessionStrictly for a session holding one of options_.strict_roles.
  absl::Status CheckRevocation(const jit::common::v1::Identity& identity) const;

  absl::StatusOr<std::shared_ptr<const jit::common::v1::Identity>> VerifyUncached(
      std::string_view token, const crypto::Sha256Digest& digest, absl::Time now);
  void Insert(const crypto::Sha256Digest& digest, CacheEntry entry, absl::Time now);
  Shard& ShardFor(const crypto::Sha256Digest& d) { return shards_[d[31] % kShards]; }

  const Options options_;
  const jwt::SessionClaimsPolicy policy_;
  JwksCache* const keys_;
  const RevocationChecker* const revocation_;
  const Clock* const clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_TOKEN_VERIFIER_H_
