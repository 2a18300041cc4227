// The user RPCs (Create/Get/List/Update/Delete/SetPassword/ResetTotp, EnrollTotp/ConfirmTotp)
// and the start-up creation of bootstrap users. Anyone may, on themself: GetUser;
// SetPassword with the current password; TOTP enrolment when none is enabled or from a
// session established with it. Otherwise policy decides on resource "user" (read, list,
// create, update incl. SetPassword and ResetTotp, delete). Nobody sees or sets another's TOTP
// secret. Users from single sign-on (origin "oidc:<connector>") are refused UpdateUser,
// SetPassword and TOTP enrolment (FAILED_PRECONDITION). Changing roles, traits or a password,
// and deleting a user, end the user's sessions.
#ifndef JIT_SERVICES_AUTH_USER_ADMINISTRATION_H_
#define JIT_SERVICES_AUTH_USER_ADMINISTRATION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/clock.h"
#include "common/secret.h"
#include "jit/auth/v1/auth.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "services/auth/concurrency_limiter.h"
#include "services/auth/lockout.h"
#include "services/auth/password_hasher.h"
#include "services/auth/totp.h"
#include "services/auth/user_store.h"
#include "services/policy/client/permission_checker.h"

namespace jit::auth {

struct UserAdministrationOptions {
  std::string totp_issuer = "jit-access";  // shown by authenticator apps
  absl::Duration enrollment_ttl = absl::Minutes(10);
};

struct UserAdministrationDependencies {
  UserStore* users = nullptr;
  LoginAttemptStore* attempts = nullptr;  // for User.locked
  LoginThrottle* throttle = nullptr;      // lockout for current-password checks
  const PasswordHasher* hasher = nullptr;
  TotpVerifier* totp = nullptr;
  policy::PermissionChecker* permissions = nullptr;
  ConcurrencyLimiter* hash_limiter = nullptr;
  // Failed current-password checks and the lockouts they start (the changes themselves are
  // written by the user store in their own transactions).
  audit::AuditOutbox* audit = nullptr;
  const Clock* clock = nullptr;
};

// Thread-safe; borrows its dependencies.
class UserAdministration {
 public:
  static absl::StatusOr<std::unique_ptr<UserAdministration>> Create(
      UserAdministrationOptions options, UserAdministrationDependencies deps);

  // Errors, besides each method's own: INVALID_ARGUMENT naming the field; PERMISSION_DENIED
  // from policy; UNAVAILABLE when policy or the store is down.
  using Identity = jit::common::v1::Identity;
  using User = jit::auth::v1::User;

  // ALREADY_EXISTS for a taken name (also in another letter case).
  absl::StatusOr<User> CreateUser(const Identity& caller,
                                  const jit::auth::v1::CreateUserRequest& request,
                                  const audit::AuditActor& actor);
  // NOT_FOUND (only to callers allowed to read other users).
  absl::StatusOr<User> GetUser(const Identity& caller,
                               const jit::auth::v1::GetUserRequest& request);
  absl::StatusOr<jit::auth::v1::ListUsersResponse> ListUsers(
      const Identity& caller, const jit::auth::v1::ListUsersRequest& request);
  absl::StatusOr<User> UpdateUser(const Identity& caller,
                                  const jit::auth::v1::UpdateUserRequest& request,
                                  const audit::AuditActor& actor);
  absl::Status DeleteUser(const Identity& caller, const jit::auth::v1::DeleteUserRequest& request,
                          const audit::AuditActor& actor);
  // Self: PERMISSION_DENIED for a wrong current password (counted by the lockout before the
  // hash, as a login is) or while the name is locked; ABORTED (nothing changed) when the
  // user changed after the current password was checked (e.g. an administrator reset it).
  absl::Status SetPassword(const Identity& caller, const jit::auth::v1::SetPasswordRequest& request,
                           const audit::AuditActor& actor);
  absl::StatusOr<jit::auth::v1::EnrollTotpResponse> EnrollTotp(
      const Identity& caller, const jit::auth::v1::EnrollTotpRequest& request,
      const audit::AuditActor& actor);
  // FAILED_PRECONDITION without a pending (unexpired) enrollment; INVALID_ARGUMENT for a
  // code that does not match it.
  absl::Status ConfirmTotp(const Identity& caller, const jit::auth::v1::ConfirmTotpRequest& request,
                           const audit::AuditActor& actor);
  // Another user's TOTP removed (PERMISSION_DENIED for oneself: replace it with EnrollTotp
  // from an MFA session); NOT_FOUND; FAILED_PRECONDITION for single sign-on users.
  absl::Status ResetTotp(const Identity& caller, const jit::auth::v1::ResetTotpRequest& request,
                         const audit::AuditActor& actor);

  // Start-up: creates the local user `profile` with `password` ("" = none) and, when given,
  // an enabled TOTP secret, unless a user of that name exists (never overwritten). True when
  // created. Actor "system"; no permission check.
  absl::StatusOr<bool> EnsureUser(const User& profile, const SecretString& password,
                                  const SecretString& totp_secret);

 private:
  UserAdministration(UserAdministrationOptions options, UserAdministrationDependencies deps)
      : options_(std::move(options)), d_(deps) {}

  // OK when `caller` is `name` and `self_allowed`, else asks policy for `verb` on "user".
  absl::Status Authorize(const Identity& caller, const std::string& name, bool self_allowed,
                         std::string_view verb);
  // `name` resolved ("" = caller) and authorised for TOTP enrollment (only oneself).
  absl::StatusOr<UserRecord> TotpTarget(const Identity& caller, const std::string& requested);
  absl::StatusOr<User> WithLockState(User user);
  absl::StatusOr<std::string> HashPassword(const SecretString& password);
  // auth.password.check_failed (reason "wrong_current_password" or "locked"), and
  // auth.user.locked when this failure locked the name. A lost event is logged.
  void AuditCurrentPasswordRefused(const std::string& user, const audit::AuditActor& actor,
                                   const std::string& reason, bool starts_lockout);

  const UserAdministrationOptions options_;
  const UserAdministrationDependencies d_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_USER_ADMINISTRATION_H_
