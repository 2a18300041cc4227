// Logging in: local users (password and, when enrolled, a TOTP code) and OIDC single
// sign-on, each ending in a new session (session_manager.h).
//
// Local logins go through LocalAuthenticator, whose answers are identical (and cost the
// same Argon2id work) for an unknown user and a wrong password; at most
// `hash_limiter`'s limit of logins hash at once. Every outcome is counted
// (jit_auth_logins_total) and audited: "auth.login" with the session, "auth.login.failed"
// with a reason (invalid_credentials, totp_required, invalid_totp, totp_replayed, locked,
// credentials_changed, user_changed, oidc_refused), and "auth.user.locked" when a failure
// starts a lockout.
//
// A session is started only for the version of the user the login authenticated and read
// (UserRecord::session_generation, checked atomically with the insert by SessionStore::
// Create): a login that overlaps a change ending the user's sessions never leaves a session
// behind it. Such a login answers, when the user was deleted or its password changed, the
// ordinary UNAUTHENTICATED "invalid username or password" (the password checked no longer
// opens the account; nothing more is told to whoever holds the old one), audited as
// "credentials_changed" but not counted by the lockout; when only roles or traits changed,
// ABORTED (log in again: the next session carries the new ones), audited as "user_changed".
// An OIDC login whose user is deleted between being recorded and its session gets ABORTED.
//
// OIDC: BeginOidc picks the connector ("" = the only one) and returns its authorization URL
// and state (sealed, nothing stored: oidc/sealed_state.h); CompleteOidc opens the state, finds
// the login's connector in it, completes it (the connector spends the state), records the user
// (origin "oidc:<connector>", roles and traits of this login; a name that belongs to a local user
// is refused) and starts the session.
#ifndef JIT_SERVICES_AUTH_LOGIN_MANAGER_H_
#define JIT_SERVICES_AUTH_LOGIN_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/clock.h"
#include "jit/auth/v1/auth.pb.h"
#include "services/auth/auth_metrics.h"
#include "services/auth/concurrency_limiter.h"
#include "services/auth/local_authenticator.h"
#include "services/auth/lockout.h"
#include "services/auth/oidc/oidc_connector.h"
#include "services/auth/oidc/sealed_state.h"
#include "services/auth/password_hasher.h"
#include "services/auth/session_manager.h"
#include "services/auth/user_store.h"

namespace jit::auth {

struct LoginDependencies {
  LocalAuthenticator* local = nullptr;
  UserStore* users = nullptr;
  const PasswordHasher* hasher = nullptr;
  LoginThrottle* throttle = nullptr;
  SessionManager* sessions = nullptr;
  audit::AuditOutbox* audit = nullptr;
  AuthMetrics* metrics = nullptr;
  ConcurrencyLimiter* hash_limiter = nullptr;
  // By connector name; may be empty (no single sign-on).
  std::map<std::string, oidc::OidcConnector*> connectors;
  // Opens the states the connectors sealed; required when there are connectors.
  const oidc::OidcStateSealer* oidc_states = nullptr;
  const Clock* clock = nullptr;
};

// Thread-safe; borrows everything.
class LoginManager {
 public:
  // INVALID_ARGUMENT when a dependency is missing.
  static absl::StatusOr<std::unique_ptr<LoginManager>> Create(LoginDependencies deps);

  // INVALID_ARGUMENT for a malformed request (naming the field); UNAUTHENTICATED for refused
  // credentials or a lockout; ABORTED when the user's roles or traits changed during the
  // login; UNAVAILABLE when the service is busy or a store is down.
  absl::StatusOr<jit::auth::v1::LoginResponse> Login(const jit::auth::v1::LoginRequest& request,
                                                     const audit::AuditActor& client);

  // NOT_FOUND for an unknown connector, FAILED_PRECONDITION when none is configured,
  // INVALID_ARGUMENT for an empty connector with several configured or a redirect URL that
  // is neither the configured one nor a loopback one; UNAVAILABLE when the provider is down.
  absl::StatusOr<jit::auth::v1::BeginOidcLoginResponse> BeginOidc(
      const jit::auth::v1::BeginOidcLoginRequest& request);

  // UNAUTHENTICATED for an unknown/used/expired state or a login the provider or the ID token
  // checks refuse; FAILED_PRECONDITION when the user name belongs to a local user; ABORTED
  // when the user was deleted during the login.
  absl::StatusOr<jit::auth::v1::LoginResponse> CompleteOidc(
      const jit::auth::v1::CompleteOidcLoginRequest& request, const audit::AuditActor& client);

 private:
  explicit LoginManager(LoginDependencies deps) : d_(std::move(deps)) {}

  // Records a refused local login (audit with `reason`, "" = from the refusal; the lockout
  // it started, if `starts_lockout`; metric) and returns `refusal`.
  absl::Status LocalRefused(const std::string& user, const audit::AuditActor& client,
                            absl::Status refusal, std::string reason = "",
                            bool starts_lockout = false);
  // The answer for a local login whose user changed after its password check (see Login);
  // `checked_hashes` are the stored hashes the password is known to match.
  absl::Status LocalUserChanged(const std::string& user,
                                const std::vector<std::string>& checked_hashes,
                                const audit::AuditActor& client);
  void AppendAudit(absl::StatusOr<audit::AuditEvent> event);

  const LoginDependencies d_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_LOGIN_MANAGER_H_
