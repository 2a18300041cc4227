#include "common/auth/token_verifier.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/jwt/jws.h"

namespace jit::auth {

using jit::common::v1::Identity;

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(
    Options options, JwksCache* keys, const RevocationChecker* revocation, const Clock* clock) {
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("token verifier needs an issuer and an audience");
  }
  if (keys == nullptr || revocation == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("token verifier needs keys, revocation and a clock");
  }
  if (options.algorithms.empty()) {
    return absl::InvalidArgumentError("token verifier needs at least one algorithm");
  }
  if (options.cache_capacity < kShards) options.cache_capacity = kShards;
  return std::unique_ptr<TokenVerifier>(
      new TokenVerifier(std::move(options), keys, revocation, clock));
}

TokenVerifier::TokenVerifier(Options options, JwksCache* keys, const RevocationChecker* revocation,
                             const Clock* clock)
    : options_(std::move(options)),
      policy_{.issuer = options_.issuer,
              .audience = options_.audience,
              .max_clock_skew = options_.max_clock_skew,
              .max_lifetime = options_.max_lifetime},
      keys_(keys),
      revocation_(revocation),
      clock_(clock) {}

absl::StatusOr<std::shared_ptr<const Identity>> TokenVerifier::Verify(std::string_view token) {
  if (token.empty()) return absl::UnauthenticatedError("missing token");
  if (token.size() > jwt::kMaxJwsBytes) {
    return absl::UnauthenticatedError("invalid token: too large");
  }
  const crypto::Sha256Digest digest = crypto::Sha256(token);
  const absl::Time now = clock_->Now();
  std::shared_ptr<const Identity> cached;
  {
    Shard& shard = ShardFor(digest);
    absl::ReaderMutexLock lock(&shard.mu);
    const auto it = shard.entries.find(digest);
    if (it != shard.entries.end() && now < it->second.valid_until &&
        it->second.key_generation == keys_->generation()) {
      cached = it->second.identity;
    }
  }
  if (cached != nullptr) {
    if (absl::Status s = CheckRevocation(*cached); !s.ok()) return s;
    return cached;
  }
  absl::StatusOr<std::shared_ptr<const Identity>> result = VerifyUncached(token, digest, now);
  if (!result.ok()) {
    // Drop a cached result that is no longer good (expired, key gone).
    Shard& shard = ShardFor(digest);
    absl::MutexLock lock(&shard.mu);
    shard.entries.erase(digest);
  }
  return result;
}

absl::Status TokenVerifier::CheckRevocation(const Identity& identity) const {
  for (const std::string& role : identity.roles()) {
    if (std::find(options_.strict_roles.begin(), options_.strict_roles.end(), role) !=
        options_.strict_roles.end()) {
      return revocation_->CheckSessionStrictly(identity.session_id());
    }
  }
  return revocation_->CheckSession(identity.session_id());
}

absl::StatusOr<std::shared_ptr<const Identity>> TokenVerifier::VerifyUncached(
    std::string_view token, const crypto::Sha256Digest& digest, absl::Time now) {
  // Read the generation before looking up the key: if a refresh removes the key between here
  // and Insert, the entry carries the old generation and is never served.
  const uint64_t generation = keys_->generation();
  absl::StatusOr<jwt::UnverifiedJws> jws = jwt::ParseCompactJws(token, options_.algorithms);
  if (!jws.ok()) {
    return absl::UnauthenticatedError("invalid token: " + std::string(jws.status().message()));
  }
  if (jws->kid.empty()) return absl::UnauthenticatedError("invalid token: no kid");
  absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> key =
      keys_->GetKey(jws->kid, jws->alg);
  if (!key.ok()) {
    if (absl::IsNotFound(key.status())) {
      return absl::UnauthenticatedError("token signed by an unknown key");
    }
    if (absl::IsUnavailable(key.status())) return key.status();
    return absl::UnauthenticatedError("token key unusable: " + std::string(key.status().message()));
  }
  if (absl::Status s = jwt::VerifyJwsSignature(*jws, **key); !s.ok()) {
    // "token alg does not match the key" or "token signature is invalid".
    return absl::UnauthenticatedError(std::string(s.message()));
  }
  absl::StatusOr<jwt::SessionClaims> claims =
      jwt::ValidateSessionClaims(jws->payload, policy_, now);
  if (!claims.ok()) return claims.status();
  auto identity = std::make_shared<const Identity>(std::move(claims->identity));
  if (absl::Status s = CheckRevocation(*identity); !s.ok()) return s;
  Insert(digest,
         CacheEntry{.identity = identity,
                    .valid_until = claims->expire_time + options_.max_clock_skew,
                    .key_generation = generation},
         now);
  return identity;
}

void TokenVerifier::Insert(const crypto::Sha256Digest& digest, CacheEntry entry, absl::Time now) {
  const size_t shard_capacity = options_.cache_capacity / kShards;
  Shard& shard = ShardFor(digest);
  absl::MutexLock lock(&shard.mu);
  if (shard.entries.size() >= shard_capacity) {
    absl::erase_if(shard.entries, [&](const auto& e) { return e.second.valid_until <= now; });
  }
  if (shard.entries.size() >= shard_capacity) {
    // Still full of live tokens: drop about an eighth (arbitrary ones; they are re-verified
    // on next use, which costs one signature check).
    size_t to_drop = std::max<size_t>(1, shard_capacity / 8);
    for (auto it = shard.entries.begin(); it != shard.entries.end() && to_drop > 0; --to_drop) {
      shard.entries.erase(it++);
    }
  }
  shard.entries.insert_or_assign(digest, std::move(entry));
}

absl::StatusOr<std::shared_ptr<const Identity>> TokenVerifier::VerifyAuthorizationHeader(
    std::string_view header_value) {
  constexpr std::string_view kScheme = "bearer ";
  if (header_value.empty()) return absl::UnauthenticatedError("missing bearer token");
  if (header_value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(header_value.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    return absl::UnauthenticatedError("authorization header is not a bearer token");
  }
  std::string_view token = header_value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return Verify(token);
}

size_t TokenVerifier::cached_tokens() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace jit::auth
