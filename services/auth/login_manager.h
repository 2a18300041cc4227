// Logging in: local users (password and, when enrolled, a TOTP code) and OIDC single sign-on,
// each ending in a new session (session_manager.h). Local logins cost the same Argon2id work
// and give the same answer for an unknown user and a wrong password; at most hash_limiter's
// limit hash at once. Every outcome is counted (jit_auth_logins_total) and audited
// (auth.login, auth.login.failed with a reason, auth.user.locked).
// A session starts only for the user version the login read (session_generation, checked
// with the insert): a login overlapping a deletion or password change answers the ordinary
// UNAUTHENTICATED; one overlapping a role/trait change answers ABORTED (log in again).
// OIDC: BeginOidc returns the connector's authorization URL and a sealed state (nothing
// stored); CompleteOidc completes it, records the user (origin "oidc:<connector>"; a local
// user's name is refused) and starts the session. Thread-safe.
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
