// The session token signing keys as the auth service uses them: the issuer for the key that
// signs now, rotation, and the published public keys (GetJwks).
//
// Rotation publishes a new key at once and lets it sign only after `publish_delay`, longer
// than the verifiers' least interval between two key fetches (5 s, common/auth/jwks_cache.h):
// a verifier that meets the new kid either has it already or is allowed to fetch it. Old keys
// stay published for `retention` after being superseded (the longest token lifetime plus
// clock skew), so tokens they signed stay valid until they expire.
//
// The current key is cached per replica for `reload_interval` (and reloaded as soon as a
// known successor becomes active), so a rotation on one replica reaches the others within
// that interval; until then they sign with the previous key, which stays valid.
#ifndef JIT_SERVICES_AUTH_SIGNING_KEY_RING_H_
#define JIT_SERVICES_AUTH_SIGNING_KEY_RING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/clock.h"
#include "common/jwt/jwk.h"
#include "common/jwt/session_token.h"
#include "services/auth/signing_key_store.h"

namespace jit::auth {

struct SigningKeyRingOptions {
  std::string issuer;    // iss of issued tokens
  std::string audience;  // aud of issued tokens
  absl::Duration publish_delay = absl::Seconds(10);
  absl::Duration retention = absl::Hours(25);
  absl::Duration reload_interval = absl::Seconds(5);
};

// The public keys published at `now` as JWKs (GetJwks, auth's own verifier).
absl::StatusOr<std::vector<jwt::JsonWebKey>> PublishedJwks(SigningKeyStore& store, absl::Time now,
                                                           absl::Duration retention);

// Thread-safe; borrows store and clock.
class SigningKeyRing {
 public:
  // INVALID_ARGUMENT for an empty issuer/audience, a publish delay under 6 s or above 1 h,
  // or a retention under 1 h.
  static absl::StatusOr<std::unique_ptr<SigningKeyRing>> Create(SigningKeyRingOptions options,
                                                                SigningKeyStore* store,
                                                                const Clock* clock);

  // Creates the first key (active at once) when the store has none. Replicas may race.
  absl::Status EnsureKey();

  // The issuer signing with the key active now. UNAVAILABLE when the store is down and no
  // key is cached; FAILED_PRECONDITION/DATA_LOSS when the key cannot be unsealed.
  absl::StatusOr<std::shared_ptr<const jwt::SessionTokenIssuer>> CurrentIssuer();

  // Adds a new key that signs from now + publish_delay; returns its kid and activation.
  struct Rotation {
    std::string kid;
    absl::Time activate_time;
  };
  absl::StatusOr<Rotation> Rotate(const audit::AuditActor& actor);

  absl::StatusOr<std::vector<jwt::JsonWebKey>> Published();

 private:
  SigningKeyRing(SigningKeyRingOptions options, SigningKeyStore* store, const Clock* clock)
      : options_(std::move(options)), store_(store), clock_(clock) {}

  absl::StatusOr<SigningKeyRecord> NewKey(absl::Time now, absl::Time activate) const;

  const SigningKeyRingOptions options_;
  SigningKeyStore* const store_;
  const Clock* const clock_;

  absl::Mutex mu_;
  std::shared_ptr<const jwt::SessionTokenIssuer> current_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<absl::Time> next_activation_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SIGNING_KEY_RING_H_
