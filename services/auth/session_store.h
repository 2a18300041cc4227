// Sessions: one per issued session token, with its revocation (Logout). Auth's
// ListRevokedSessions, and auth's own token verifier, read the revocations through
// StoredRevocationFeed (stored_token_sources.h).
#ifndef JIT_SERVICES_AUTH_SESSION_STORE_H_
#define JIT_SERVICES_AUTH_SESSION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/auth/revocation.h"

namespace jit::auth {

// How long past its expiry a revoked session is still published by ListRevoked, and still
// revoked by changes to its user: every verifier accepts a token up to its clock skew
// (jwt::SessionClaimsPolicy::max_clock_skew, 30 s) past exp, and RevocationList keeps an entry
// for its expiry_grace (2 min) past exp. Dropping a revocation at exp would let a revoked
// token through for those last seconds. At least both (session_manager_test checks it).
inline constexpr absl::Duration kRevokedSessionGrace = absl::Minutes(2);

struct SessionRecord {
  std::string id;
  std::string user;
  std::string auth_method;  // "local", "oidc:<connector>"
  bool mfa = false;
  absl::Time issue_time;
  absl::Time expire_time;
  std::optional<absl::Time> revoked_at;
  std::string revoked_by;  // actor, when revoked
};

// Thread-safe. Every method may fail with UNAVAILABLE when the store is down.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Stores the session if its user still exists with `user_generation`
  // (UserRecord::session_generation, as the login read it), else ABORTED and nothing is
  // stored. Atomic with respect to UserStore changes: a change that ends the user's sessions
  // either comes first (and the session is refused) or comes after (and revokes it).
  // ALREADY_EXISTS for a duplicate id.
  virtual absl::Status Create(const SessionRecord& session, int64_t user_generation,
                              const audit::AuditEvent& event) = 0;

  virtual absl::StatusOr<std::optional<SessionRecord>> Get(std::string_view id) = 0;

  // Marks the session revoked at `now` by `revoked_by`, giving it the next revocation
  // cursor. NOT_FOUND for an unknown id; OK without change when already revoked.
  virtual absl::Status Revoke(std::string_view id, std::string_view revoked_by, absl::Time now,
                              const audit::AuditEvent& event) = 0;

  // Revocations for verifiers: the complete list of revoked sessions whose expiry is after
  // `now - kRevokedSessionGrace` when `after_cursor` is 0 or unknown (ahead of the store,
  // e.g. a restored database); else those of them revoked after `after_cursor`. The cursor
  // to pass next time comes back.
  virtual absl::StatusOr<RevocationUpdate> ListRevoked(int64_t after_cursor, absl::Time now) = 0;

  // Sessions neither revoked nor expired at `now`.
  virtual absl::StatusOr<int64_t> CountActive(absl::Time now) = 0;

  // Forgets sessions that expired before `before` (their tokens are refused anyway).
  // Returns how many went.
  virtual absl::StatusOr<int64_t> DeleteExpired(absl::Time before) = 0;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SESSION_STORE_H_
