// Cached verification keys from a JWK Set, refreshed on demand.
//
// JwksSource is where keys come from: auth's GetJwks RPC for session tokens
// (remote_token_sources.h), an OIDC provider's jwks_uri for ID tokens
// (services/auth/oidc/http_jwks_source.h). JwksCache keeps the last good set,
// refreshes it when a token names a kid it does not know (at most once per
// min_refresh_interval, so a flood of made-up kids cannot turn into a flood of fetches) and
// when the set is older than max_age. A fetch failure keeps the old keys until max_staleness,
// after which lookups fail closed with UNAVAILABLE.
#ifndef JIT_COMMON_AUTH_JWKS_CACHE_H_
#define JIT_COMMON_AUTH_JWKS_CACHE_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/jwt/jwk.h"
#include "common/jwt/jws.h"

namespace jit::auth {

// Fetches the current public keys. May block (network); implementations set their own
// deadline. UNAVAILABLE when the publisher cannot be reached. Thread-compatible: JwksCache
// never calls it from two threads at once.
class JwksSource {
 public:
  virtual ~JwksSource() = default;
  virtual absl::StatusOr<std::vector<jwt::JsonWebKey>> FetchJwks() = 0;
};

// A JwksSource over keys held in memory: the auth service verifying its own tokens from its
// key store, tools, tests. SetKeys/SetError change what the next fetch returns. Thread-safe.
class StaticJwksSource final : public JwksSource {
 public:
  explicit StaticJwksSource(std::vector<jwt::JsonWebKey> keys = {}) : keys_(std::move(keys)) {}
  absl::StatusOr<std::vector<jwt::JsonWebKey>> FetchJwks() override {
    absl::MutexLock lock(&mu_);
    ++fetches_;
    if (!error_.ok()) return error_;
    return keys_;
  }
  void SetKeys(std::vector<jwt::JsonWebKey> keys) {
    absl::MutexLock lock(&mu_);
    keys_ = std::move(keys);
  }
  void SetError(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  int fetches() const {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<jwt::JsonWebKey> keys_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

// Thread-safe.
class JwksCache {
 public:
  struct Options {
    // Algorithms keys may be used with; keys for others are ignored.
    std::vector<jwt::JwsAlgorithm> algorithms = {jwt::JwsAlgorithm::kEdDSA};
    // Least time between two fetches caused by unknown kids.
    absl::Duration min_refresh_interval = absl::Seconds(5);
    // A set older than this is refetched on the next lookup.
    absl::Duration max_age = absl::Minutes(10);
    // With no successful fetch for this long, lookups fail with UNAVAILABLE.
    absl::Duration max_staleness = absl::Hours(1);
  };

  // `source` and `clock` are not owned and must outlive the cache. No I/O happens here; the
  // first lookup fetches.
  static absl::StatusOr<std::unique_ptr<JwksCache>> Create(JwksSource* source, const Clock* clock,
                                                           Options options);

  // The key named `kid` (refreshing as described above). An empty `kid` matches only when the
  // set holds exactly one key for `alg` (OIDC providers with one key may omit kid).
  // NOT_FOUND when no such key exists; UNAVAILABLE when keys cannot be fetched.
  absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> GetKey(std::string_view kid,
                                                                        jwt::JwsAlgorithm alg);

  // Fetches now, ignoring the rate limit (start-up, tests, admin "rotate" hooks).
  absl::Status Refresh();

  // Changes whenever a refresh removes or replaces a key. Caches of verified tokens compare
  // it to drop results obtained with keys that are gone.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    jwt::JsonWebKey jwk;
    std::shared_ptr<const jwt::JwsVerificationKey> key;
  };
  using KeyMap = absl::flat_hash_map<std::string, Entry>;

  JwksCache(JwksSource* source, const Clock* clock, Options options)
      : source_(source), clock_(clock), options_(std::move(options)) {}

  // Fetches and installs a new set; records the attempt time for rate limiting.
  absl::Status FetchLocked(bool forced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mu_);
  absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> Lookup(
      std::string_view kid, jwt::JwsAlgorithm alg) const;

  JwksSource* const source_;
  const Clock* const clock_;
  const Options options_;

  absl::Mutex fetch_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Time last_attempt_ ABSL_GUARDED_BY(fetch_mu_) = absl::InfinitePast();
  absl::Status last_error_ ABSL_GUARDED_BY(fetch_mu_);

  mutable absl::Mutex mu_;
  KeyMap keys_ ABSL_GUARDED_BY(mu_);
  absl::Time last_success_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::atomic<uint64_t> generation_{0};
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_JWKS_CACHE_H_
