// Where users live: local users (password hash, TOTP) and users created by OIDC logins.
// The logic (user_administration.h, login_manager.h) works on this interface; the PostgreSQL
// implementation is postgres_user_store.h, the in-memory one for tests is
// testing/in_memory_stores.h.
//
// Mutating methods take the audit event that records the change and store it in the same
// transaction (audit_outbox.h). Changes that make a user's existing tokens wrong (roles or
// traits changed, password changed, user deleted) revoke the user's sessions in that
// transaction too, so no token outlives the change that should end it. Those changes also
// give the user a new session_generation, and a session is only stored for the generation
// its login authenticated (SessionStore::Create), so a login in progress during such a
// change cannot start a session after it.
#ifndef JIT_SERVICES_AUTH_USER_STORE_H_
#define JIT_SERVICES_AUTH_USER_STORE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/secret.h"
#include "jit/auth/v1/auth.pb.h"

namespace jit::auth {

struct UserRecord {
  // name, roles, traits, origin, create_time, update_time and totp_enabled; `locked` is not
  // stored (it comes from the login throttle).
  jit::auth::v1::User profile;
  std::string password_hash;  // Argon2id PHC string; "" = no password
  SecretString totp_secret;   // set when profile.totp_enabled()
  // Changes with every change that ends the user's sessions (roles or traits, password,
  // deletion); never repeats, also across deleting and re-creating a name. Set by the store.
  int64_t session_generation = 0;
};

// Thread-safe. Every method may fail with UNAVAILABLE when the store is down.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // The user named exactly `name`, or nullopt.
  virtual absl::StatusOr<std::optional<UserRecord>> Get(std::string_view name) = 0;

  // Up to `limit` users with names greater than `after`, ordered by name.
  virtual absl::StatusOr<std::vector<UserRecord>> List(std::string_view after, int limit) = 0;

  // ALREADY_EXISTS when a user of that name exists (names are unique case-insensitively).
  virtual absl::Status Create(const UserRecord& user, const audit::AuditEvent& event) = 0;

  // Creates or refreshes a user owned by an identity provider (origin "oidc:<connector>")
  // with the roles and traits of its latest login (their sessions keep the roles of their own
  // login: not a change that ends sessions). FAILED_PRECONDITION when the name belongs to a
  // user of another origin (a local user, another connector). Returns the stored record.
  virtual absl::StatusOr<UserRecord> UpsertExternal(const UserRecord& user,
                                                    const audit::AuditEvent& event) = 0;

  // Replaces roles and traits (from `profile`), sets update_time = now and revokes the
  // user's sessions. NOT_FOUND when there is no such user. Returns the stored record.
  virtual absl::StatusOr<UserRecord> UpdateProfile(const jit::auth::v1::User& profile,
                                                   absl::Time now,
                                                   const audit::AuditEvent& event) = 0;

  // Deletes the user with their TOTP state and revokes their sessions. NOT_FOUND.
  virtual absl::Status Delete(std::string_view name, absl::Time now,
                              const audit::AuditEvent& event) = 0;

  // Sets the password hash and revokes the user's sessions except `keep_session_id` (the
  // caller's own when users change their own password; "" keeps none). With
  // `expected_generation` (users changing their own password: the generation read with the
  // hash their current password was checked against), only if the user is still at it;
  // else ABORTED and nothing changes, so a change made meanwhile (an administrator's reset)
  // is never overwritten. NOT_FOUND.
  virtual absl::Status SetPasswordHash(std::string_view name, const std::string& hash,
                                       absl::Time now, std::string_view keep_session_id,
                                       std::optional<int64_t> expected_generation,
                                       const audit::AuditEvent& event) = 0;

  // Replaces the hash only if it is still `old_hash` (upgrading parameters after a login;
  // not an audited change, and not one that ends sessions). OK also when it changed
  // meanwhile (nothing is done).
  virtual absl::Status RehashPassword(std::string_view name, const std::string& old_hash,
                                      const std::string& new_hash) = 0;

  // Stores a pending TOTP secret (replacing an earlier one) until `expire_time`. NOT_FOUND.
  virtual absl::Status PutTotpEnrollment(std::string_view name, const SecretString& secret,
                                         absl::Time expire_time,
                                         const audit::AuditEvent& event) = 0;

  // The pending secret. NOT_FOUND when there is none or it expired before `now`.
  virtual absl::StatusOr<SecretString> GetTotpEnrollment(std::string_view name, absl::Time now) = 0;

  // Makes the pending secret the user's TOTP secret (totp_enabled = true) and drops the
  // enrollment, if the pending secret is still `secret` and unexpired at `now`; else
  // FAILED_PRECONDITION (a concurrent EnrollTotp replaced it, or it expired).
  virtual absl::Status ActivateTotp(std::string_view name, const SecretString& secret,
                                    absl::Time now, const audit::AuditEvent& event) = 0;

  // Removes the user's TOTP secret (totp_enabled = false) and any pending enrollment, and
  // ends the user's sessions (their tokens may carry mfa). NOT_FOUND.
  virtual absl::Status ResetTotp(std::string_view name, absl::Time now,
                                 const audit::AuditEvent& event) = 0;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_USER_STORE_H_
