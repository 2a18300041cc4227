#include "services/auth/signing_key_ring.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/ed25519.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/auth/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::auth {

absl::StatusOr<std::vector<jwt::JsonWebKey>> PublishedJwks(SigningKeyStore& store, absl::Time now,
                                                           absl::Duration retention) {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> keys, store.ListPublished(now, retention));
  std::vector<jwt::JsonWebKey> jwks;
  jwks.reserve(keys.size());
  for (const SigningKeyRecord& key : keys) {
    absl::StatusOr<jwt::JsonWebKey> jwk = jwt::Ed25519Jwk(key.kid, key.public_key);
    if (!jwk.ok()) {
      // One unusable row must not hide the others; it is a broken store, so say so.
      spdlog::error("signing key kid={} cannot be published: {}", LogSafe(key.kid),
                    std::string(jwk.status().message()));
      continue;
    }
    jwks.push_back(*std::move(jwk));
  }
  return jwks;
}

absl::StatusOr<std::unique_ptr<SigningKeyRing>> SigningKeyRing::Create(
    SigningKeyRingOptions options, SigningKeyStore* store, const Clock* clock) {
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("signing keys need a token issuer and audience");
  }
  if (options.publish_delay < absl::Seconds(6) || options.publish_delay > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "signing_key_publish_delay: must be between 6s (verifiers fetch new keys at most every "
        "5s) and 1h");
  }
  if (options.retention < absl::Hours(1)) {
    return absl::InvalidArgumentError("signing key retention must be at least 1h");
  }
  if (store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("signing keys need a store and a clock");
  }
  return std::unique_ptr<SigningKeyRing>(new SigningKeyRing(std::move(options), store, clock));
}

absl::StatusOr<SigningKeyRecord> SigningKeyRing::NewKey(absl::Time now, absl::Time activate) const {
  ASSIGN_OR_RETURN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSIGN_OR_RETURN(std::string public_key, crypto::Ed25519PublicKeyFromSeed(seed));
  // The kid: a thumbprint of the public key (16 bytes of its SHA-256, base64url).
  std::string kid = crypto::Base64UrlEncode(crypto::Sha256String(public_key).substr(0, 16));
  return SigningKeyRecord{.kid = std::move(kid),
                          .public_key = std::move(public_key),
                          .seed = std::move(seed),
                          .create_time = now,
                          .activate_time = activate};
}

absl::Status SigningKeyRing::EnsureKey() {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(SigningKeyRecord key, NewKey(now, now));
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.signing_key.created", now, {.actor = "system"},
                           absl::StrCat("signing_key:", key.kid),
                           audit::AuditEvent::OUTCOME_SUCCESS, "first session token signing key"));
  ASSIGN_OR_RETURN(bool added, store_->AddIfEmpty(key, event));
  if (added) spdlog::info("created the first session token signing key kid={}", key.kid);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const jwt::SessionTokenIssuer>> SigningKeyRing::CurrentIssuer() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  const bool fresh = current_ != nullptr && now - loaded_at_ < options_.reload_interval &&
                     (!next_activation_.has_value() || now < *next_activation_);
  if (fresh) return current_;
  absl::StatusOr<ActiveSigningKey> active = store_->Active(now);
  if (!active.ok()) {
    if (absl::IsUnavailable(active.status()) && current_ != nullptr) {
      // The old key keeps signing through a short database outage (logins need the
      // database anyway; this only avoids failing on a reload).
      return current_;
    }
    if (absl::IsNotFound(active.status())) {
      return absl::FailedPreconditionError("no session token signing key exists");
    }
    return active.status();
  }
  if (current_ == nullptr || current_->kid() != active->key.kid) {
    ASSIGN_OR_RETURN(std::shared_ptr<const crypto::Signer> signer,
                     crypto::Ed25519Signer::Create(active->key.seed));
    ASSIGN_OR_RETURN(std::shared_ptr<const jwt::SessionTokenIssuer> issuer,
                     jwt::SessionTokenIssuer::Create(
                         {.issuer = options_.issuer, .audience = options_.audience},
                         jwt::JwsAlgorithm::kEdDSA, active->key.kid, std::move(signer)));
    current_ = std::move(issuer);
  }
  loaded_at_ = now;
  next_activation_ = active->next_activation;
  return current_;
}

absl::StatusOr<SigningKeyRing::Rotation> SigningKeyRing::Rotate(const audit::AuditActor& actor) {
  const absl::Time now = clock_->Now();
  const absl::Time activate = now + options_.publish_delay;
  ASSIGN_OR_RETURN(SigningKeyRecord key, NewKey(now, activate));
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.signing_key.rotated", now, actor,
                           absl::StrCat("signing_key:", key.kid),
                           audit::AuditEvent::OUTCOME_SUCCESS, "new session token signing key",
                           {{"activate_time", absl::FormatTime(activate)}}));
  RETURN_IF_ERROR(store_->Add(key, event));
  {
    absl::MutexLock lock(&mu_);
    if (!next_activation_.has_value() || activate < *next_activation_) next_activation_ = activate;
  }
  spdlog::info("session token signing key rotated: kid={} signs from {}", key.kid,
               absl::FormatTime(activate));
  return Rotation{.kid = key.kid, .activate_time = activate};
}

absl::StatusOr<std::vector<jwt::JsonWebKey>> SigningKeyRing::Published() {
  return PublishedJwks(*store_, clock_->Now(), options_.retention);
}

}  // namespace jit::auth
