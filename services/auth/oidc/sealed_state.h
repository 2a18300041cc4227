// The OIDC `state` parameter as a sealed, self-contained value: the login id, connector,
// nonce, PKCE verifier, redirect URL and expiry travel with the browser, so BeginOidcLogin
// stores nothing and any replica completes the login. state = base64url (no padding) of
// KeyEncryptionKey::Seal(plaintext, kOidcStateAssociatedData): confidential (nonce and
// verifier stay secret) and tamper-evident; the associated data keeps it from passing as any
// other sealed value. Plaintext format 1 (big-endian): u8 version | 16-byte login id |
// i64 expiry (Unix us) | u8 len + connector | u8 len + nonce | u8 len + PKCE verifier |
// u16 len + redirect URL. Single use is enforced at Complete (state_store.h).
#ifndef JIT_SERVICES_AUTH_OIDC_SEALED_STATE_H_
#define JIT_SERVICES_AUTH_OIDC_SEALED_STATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/key_encryption.h"
#include "common/secret.h"

namespace jit::auth::oidc {

inline constexpr size_t kOidcLoginIdBytes = 16;
// Longest redirect URL a login may use (the configured one or a loopback one).
inline constexpr size_t kMaxRedirectUrlBytes = 512;
// Longest state Seal produces (and Complete accepts).
inline constexpr size_t kMaxOidcStateChars = 1024;
// Associated data of every sealed state.
inline constexpr std::string_view kOidcStateAssociatedData = "oidc_state:v1";

// The answer to anything that is not a state this server issued and can still use: made up,
// altered, sealed under another KEK, expired, or already used.
inline constexpr std::string_view kUnusableOidcState =
    "OIDC login state unknown, used or expired; start again";

struct OidcLoginState {
  std::string login_id;  // kOidcLoginIdBytes random bytes: the single-use key
  std::string connector;
  SecretString nonce;
  SecretString pkce_verifier;
  std::string redirect_url;
  absl::Time expire_time;  // kept to the microsecond
};

// Immutable; thread-safe; borrows the KEK.
class OidcStateSealer {
 public:
  explicit OidcStateSealer(const crypto::KeyEncryptionKey* kek) : kek_(kek) {}

  // The state value for `login`. INVALID_ARGUMENT for a login id that is not
  // kOidcLoginIdBytes long, a field longer than the format holds or a redirect URL longer
  // than kMaxRedirectUrlBytes; INTERNAL if randomness fails.
  absl::StatusOr<std::string> Seal(const OidcLoginState& login) const;

  // The login sealed in `state`. UNAUTHENTICATED (kUnusableOidcState) for anything Seal under
  // this KEK did not produce. Does not check the expiry (the caller has the clock).
  absl::StatusOr<OidcLoginState> Open(std::string_view state) const;

 private:
  const crypto::KeyEncryptionKey* const kek_;
};

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_SEALED_STATE_H_
