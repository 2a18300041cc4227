#include "common/auth/jwks_cache.h"

#include <algorithm>

#include "common/absl_string_view.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
absl::StatusOr<std::unique_ptr<JwksCache>> JwksCache::Create(JwksSource* source, const Clock* clock,
                                                             Options options) {
  if (source == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("JwksCache needs a source and a clock");
  }
  if (options.algorithms.empty()) {
    return absl::InvalidArgumentError("JwksCache needs at least one algorithm");
  }
  return std::unique_ptr<JwksCache>(new JwksCache(source, clock, std::move(options)));
}

absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> JwksCache::Lookup(
    std::string_view kid, jwt::JwsAlgorithm alg) const {
  absl::ReaderMutexLock lock(&mu_);
  if (last_success_ == absl::InfinitePast()) {
    return absl::UnavailableError("signing keys not loaded");
  }
  if (clock_->Now() - last_success_ > options_.max_staleness) {
    return absl::UnavailableError("signing keys are stale (publisher unreachable)");
  }
  if (kid.empty()) {
    std::shared_ptr<const jwt::JwsVerificationKey> only;
    int count = 0;
    for (const auto& [k, entry] : keys_) {
      if (entry.key->alg == alg) {
        only = entry.key;
        ++count;
      }
    }
    if (count == 1) return only;
    return absl::NotFoundError("token has no kid and the key set is ambiguous");
  }
  const auto it = keys_.find(AsAbsl(kid));
  if (it == keys_.end()) return absl::NotFoundError("unknown signing key");
  return it->second.key;
}

absl::Status JwksCache::FetchLocked(bool forced) {
  const absl::Time now = clock_->Now();
  last_attempt_ = now;
  absl::StatusOr<std::vector<jwt::JsonWebKey>> jwks = source_->FetchJwks();
  if (!jwks.ok()) {
    last_error_ = jwks.status();
    spdlog::warn("jwks fetch failed forced={} error={}", forced,
                 LogSafe(jwks.status().ToString(), 256));
    return jwks.status();
  }
  KeyMap fresh;
  for (jwt::JsonWebKey& jwk : *jwks) {
    absl::StatusOr<jwt::JwsVerificationKey> key = jwt::VerificationKeyFromJwk(jwk);
    if (!key.ok()) {
      spdlog::warn("jwks key skipped kid={} error={}", LogSafe(jwk.kid),
                   LogSafe(key.status().ToString(), 256));
      continue;
    }
    if (std::find(options_.algorithms.begin(), options_.algorithms.end(), key->alg) ==
        options_.algorithms.end()) {
      continue;
    }
    const std::string kid = key->kid;
    fresh[kid] =
        Entry{std::move(jwk), std::make_shared<const jwt::JwsVerificationKey>(*std::move(key))};
  }
  absl::MutexLock lock(&mu_);
  // A kid that disappeared, or that now names other key material, invalidates whatever was
  // verified with the old key; unchanged keys keep their verifier objects.
  bool lost_key = false;
  for (const auto& [kid, old] : keys_) {
    const auto it = fresh.find(kid);
    if (it == fresh.end() || !(it->second.jwk == old.jwk)) {
      lost_key = true;
    } else {
      it->second.key = old.key;
    }
  }
  keys_ = std::move(fresh);
  last_success_ = now;
  last_error_ = absl::OkStatus();
  if (lost_key) generation_.fetch_add(1, std::memory_order_acq_rel);
  return absl::OkStatus();
}

absl::Status JwksCache::Refresh() {
  absl::MutexLock lock(&fetch_mu_);
  return FetchLocked(/*forced=*/true);
}

absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> JwksCache::GetKey(
    std::string_view kid, jwt::JwsAlgorithm alg) {
  bool too_old = false;
  {
    absl::ReaderMutexLock lock(&mu_);
    too_old = clock_->Now() - last_success_ > options_.max_age;
  }
  if (!too_old) {
    auto key = Lookup(kid, alg);
    if (key.ok() || !absl::IsNotFound(key.status())) return key;
  }
  // Unknown kid, or the set is old: refresh, rate-limited.
  {
    absl::MutexLock lock(&fetch_mu_);
    const absl::Time now = clock_->Now();
    bool still_too_old;
    {
      absl::ReaderMutexLock lock2(&mu_);
      still_too_old = now - last_success_ > options_.max_age;
    }
    // Another thread may have refreshed while this one waited for fetch_mu_.
    if (now - last_attempt_ >= options_.min_refresh_interval) {
      if (still_too_old || !Lookup(kid, alg).ok()) {
        absl::Status fetched = FetchLocked(/*forced=*/false);
        if (!fetched.ok()) {
          auto key = Lookup(kid, alg);
          if (key.ok()) return key;  // keep serving known keys until max_staleness
          if (absl::IsNotFound(key.status()) || absl::IsUnavailable(key.status())) {
            return absl::UnavailableError("signing keys unavailable: " +
                                          std::string(fetched.message()));
          }
          return key.status();
        }
        return Lookup(kid, alg);
      }
    }
    // Rate-limited. If the last fetch failed, an unknown kid may well exist: say so.
    auto key = Lookup(kid, alg);
    if (absl::IsNotFound(key.status()) && !last_error_.ok()) {
      return absl::UnavailableError("signing keys unavailable: " +
                                    std::string(last_error_.message()));
    }
    return key;
  }
}

}  // namespace jit::auth
