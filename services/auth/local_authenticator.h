// Password (+ TOTP) login for local users, as pure logic over injected pieces. The Login
// RPC (login_manager.h) calls Authenticate and, on success, issues the session token.
//
// Answers, all UNAUTHENTICATED:
//   - unknown user or wrong password: "invalid username or password" (identical; an unknown
//     user costs a dummy Argon2id hash with the current parameters, so time is alike too);
//   - locked: "too many failed login attempts; retry in N s" (for unknown names as well);
//   - TOTP enrolled but no code: "TOTP code required"; wrong code: "invalid TOTP code";
//     replayed code: "TOTP code already used".
// Every attempt is counted towards the lockout before the password is hashed (lockout.h);
// a success clears the record, and an attempt that ends without a verdict on the
// credentials (the credential or TOTP store down) is refunded.
#ifndef JIT_SERVICES_AUTH_LOCAL_AUTHENTICATOR_H_
#define JIT_SERVICES_AUTH_LOCAL_AUTHENTICATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "services/auth/lockout.h"
#include "services/auth/password_hasher.h"
#include "services/auth/totp.h"

namespace jit::auth {

// What the user store holds for a local login.
struct LocalCredentials {
  std::string password_hash;  // PHC; empty = no password set (cannot log in with one)
  bool totp_enabled = false;
  SecretString totp_secret;
  // Opaque to the authenticator: the user's UserRecord::session_generation, read with the
  // hash, handed back so that the session is only started for this version of the user.
  int64_t session_generation = 0;
};

// The user store's credentials (user_store_credentials.h: auth.users). Thread-safe.
class LocalCredentialStore {
 public:
  virtual ~LocalCredentialStore() = default;
  // nullopt when the user does not exist; UNAVAILABLE when the store is down.
  virtual absl::StatusOr<std::optional<LocalCredentials>> Find(std::string_view user) = 0;
};

struct LocalLoginResult {
  bool mfa_verified = false;
  // The stored hash uses old parameters: store PasswordHasher::Hash(password) now.
  bool needs_rehash = false;
  // The stored hash the password matched, and the generation read with it
  // (LocalCredentials).
  std::string password_hash;
  int64_t session_generation = 0;
};

// Thread-safe; borrows everything.
class LocalAuthenticator {
 public:
  LocalAuthenticator(LocalCredentialStore* users, const PasswordHasher* hasher,
                     LoginThrottle* throttle, TotpVerifier* totp)
      : users_(users), hasher_(hasher), throttle_(throttle), totp_(totp) {}

  // `starts_lockout` (optional) is set when the attempt failed and was the one that locked
  // the name (LoginThrottle::StartsLockout), for the audit trail.
  absl::StatusOr<LocalLoginResult> Authenticate(std::string_view user, const SecretString& password,
                                                std::string_view totp_code,
                                                bool* starts_lockout = nullptr);

 private:
  // Refunds `attempt` (no verdict on the credentials) and returns `error`.
  absl::Status NoVerdict(const LoginAttempt& attempt, absl::Status error);

  LocalCredentialStore* const users_;
  const PasswordHasher* const hasher_;
  LoginThrottle* const throttle_;
  TotpVerifier* const totp_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_LOCAL_AUTHENTICATOR_H_
