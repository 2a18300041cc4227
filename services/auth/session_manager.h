// Sessions: starting one (a session record and a signed token), ending one (Logout), and
// the revocation feed every service's verifier polls (ListRevokedSessions).
//
// A session's token carries the user, base roles, traits, mfa, the session id (sid), iat and
// exp, and the deployment's iss/aud. Its lifetime is the requested TTL (0 = the default),
// capped at the maximum; whole seconds, as JWT times are.
#ifndef JIT_SERVICES_AUTH_SESSION_MANAGER_H_
#define JIT_SERVICES_AUTH_SESSION_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/clock.h"
#include "jit/auth/v1/auth.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/auth/session_store.h"
#include "services/auth/signing_key_ring.h"
#include "services/policy/client/permission_checker.h"

namespace jit::auth {

struct SessionOptions {
  absl::Duration default_ttl = absl::Hours(8);
  // At most 24h: every service's verifier refuses longer-lived tokens.
  absl::Duration max_ttl = absl::Hours(24);
  absl::Duration min_ttl = absl::Minutes(1);
};

// Thread-safe; borrows everything.
class SessionManager {
 public:
  // INVALID_ARGUMENT (naming the flag) for ttl bounds out of order or max_ttl above 24h.
  static absl::StatusOr<std::unique_ptr<SessionManager>> Create(
      SessionOptions options, SessionStore* sessions, SigningKeyRing* keys,
      policy::PermissionChecker* permissions, const Clock* clock);

  // The lifetime for a requested TTL: 0 = default, capped at max_ttl. INVALID_ARGUMENT for
  // a negative TTL or one under min_ttl.
  absl::StatusOr<absl::Duration> SessionTtl(absl::Duration requested) const;

  // Starts a session for `identity` (KIND_USER with name, roles, traits, mfa_verified,
  // auth_method; session_id and expire_time are filled in) and returns the login answer.
  // The audit event "auth.login" (with `details`) is stored with the session.
  // `user_generation` is the UserRecord::session_generation the identity was read from:
  // ABORTED (and no session) when the user has changed or gone since (SessionStore::Create).
  absl::StatusOr<jit::auth::v1::LoginResponse> Start(jit::common::v1::Identity identity,
                                                     int64_t user_generation, absl::Duration ttl,
                                                     const audit::AuditActor& actor,
                                                     std::map<std::string, std::string> details);

  // Ends a session: the caller's own (`session_id` empty or the caller's), or any session
  // when policy allows the caller "revoke" on "user". NOT_FOUND for an unknown session
  // (admins only; others get PERMISSION_DENIED first).
  absl::Status Logout(const jit::common::v1::Identity& caller, std::string_view session_id,
                      const audit::AuditActor& actor);

  // ListRevokedSessions. INVALID_ARGUMENT for a negative cursor.
  absl::StatusOr<jit::auth::v1::ListRevokedSessionsResponse> ListRevoked(int64_t after_cursor);

 private:
  SessionManager(SessionOptions options, SessionStore* sessions, SigningKeyRing* keys,
                 policy::PermissionChecker* permissions, const Clock* clock)
      : options_(options),
        sessions_(sessions),
        keys_(keys),
        permissions_(permissions),
        clock_(clock) {}

  const SessionOptions options_;
  SessionStore* const sessions_;
  SigningKeyRing* const keys_;
  policy::PermissionChecker* const permissions_;
  const Clock* const clock_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SESSION_MANAGER_H_
