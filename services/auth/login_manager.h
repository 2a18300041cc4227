// Logging in: local users (password and, when enrolled, a TOTP code) and OIDC single
// sign-on, each ending in a new session (session_manager.h).
//
// Local logins go through LocalAuthenticator, whose answers are identical (and cost the
// same Argon2id work) for an unknown user and a wrong password; at most
// `hash_limiter`'s limit of logins hash at once. Every outcome is counted
// (jit_auth_logins_total) and audited: "auth.login" with the session, "auth.login.failed"
// with a reason (invalid_credentials, totp_required, invalid_totp, totp_replayed, locked,
// oidc_refused), and "auth.user.locked" when a failure starts a lockout.
//
// OIDC: BeginOidc picks the connector ("" = the only one) and returns its authorization URL
// and state; CompleteOidc finds the login's connector from the state, completes it, records
// the user (origin "oidc:<connector>", roles and traits of this login; a name that belongs to
// a local user is refused) and starts the session.
#ifndef JIT_SERVICES_AUTH_LOGIN_MANAGER_H_
#define JIT_SERVICES_AUTH_LOGIN_MANAGER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jit/auth/v1/auth.pb.h"
#include "services/auth/audit_outbox.h"
#include "services/auth/auth_metrics.h"
#include "services/auth/concurrency_limiter.h"
#include "services/auth/local_authenticator.h"
#include "services/auth/lockout.h"
#include "services/auth/oidc/oidc_connector.h"
#include "services/auth/oidc/state_store.h"
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
  AuditOutbox* audit = nullptr;
  AuthMetrics* metrics = nullptr;
  ConcurrencyLimiter* hash_limiter = nullptr;
  // By connector name; may be empty (no single sign-on).
  std::map<std::string, oidc::OidcConnector*> connectors;
  oidc::OidcStateStore* oidc_states = nullptr;  // required when there are connectors
  const Clock* clock = nullptr;
};

// Thread-safe; borrows everything.
class LoginManager {
 public:
  // INVALID_ARGUMENT when a dependency is missing.
  static absl::StatusOr<std::unique_ptr<LoginManager>> Create(LoginDependencies deps);

  // INVALID_ARGUMENT for a malformed request (naming the field); UNAUTHENTICATED for refused
  // credentials or a lockout; UNAVAILABLE when the service is busy or a store is down.
  absl::StatusOr<jit::auth::v1::LoginResponse> Login(const jit::auth::v1::LoginRequest& request,
                                                     const AuditActor& client);

  // NOT_FOUND for an unknown connector, FAILED_PRECONDITION when none is configured,
  // INVALID_ARGUMENT for an empty connector with several configured or a redirect URL that
  // is neither the configured one nor a loopback one; UNAVAILABLE when the provider is down.
  absl::StatusOr<jit::auth::v1::BeginOidcLoginResponse> BeginOidc(
      const jit::auth::v1::BeginOidcLoginRequest& request);

  // UNAUTHENTICATED for an unknown/used/expired state or a login the provider or the ID token
  // checks refuse; FAILED_PRECONDITION when the user name belongs to a local user.
  absl::StatusOr<jit::auth::v1::LoginResponse> CompleteOidc(
      const jit::auth::v1::CompleteOidcLoginRequest& request, const AuditActor& client);

 private:
  explicit LoginManager(LoginDependencies deps) : d_(std::move(deps)) {}

  // Records a refused local login (audit, lockout start, metric) and returns `refusal`.
  absl::Status LocalRefused(const std::string& user, const AuditActor& client,
                            absl::Status refusal);
  void AppendAudit(absl::StatusOr<AuditEvent> event);

  const LoginDependencies d_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_LOGIN_MANAGER_H_
