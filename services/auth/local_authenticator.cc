#include "services/auth/local_authenticator.h"

#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {
absl::Status InvalidCredentials() {
  return absl::UnauthenticatedError("invalid username or password");
}
}  // namespace

absl::Status LocalAuthenticator::NoVerdict(const LoginAttempt& attempt, absl::Status error) {
  if (absl::Status s = throttle_->RefundAttempt(attempt); !s.ok()) {
    // The attempt stays counted (failing closed); the answer is the original error.
    spdlog::warn("login: refunding an attempt failed user={} error={}", LogSafe(attempt.user),
                 LogSafe(s.ToString(), 256));
  }
  return error;
}

absl::StatusOr<LocalLoginResult> LocalAuthenticator::Authenticate(std::string_view user,
                                                                  const SecretString& password,
                                                                  std::string_view totp_code,
                                                                  bool* starts_lockout) {
  if (starts_lockout != nullptr) *starts_lockout = false;
  // Counted as a failure before any hashing, so parallel attempts cannot outrun the lockout;
  // refused here while locked (not counted). Failures below need nothing more.
  absl::StatusOr<LoginAttempt> attempt = throttle_->BeginAttempt(user);
  if (!attempt.ok()) return attempt.status();
  // Set now, cleared by the paths that end without a failure counted.
  if (starts_lockout != nullptr) *starts_lockout = throttle_->StartsLockout(*attempt);
  absl::StatusOr<std::optional<LocalCredentials>> found = users_->Find(user);
  if (!found.ok()) {
    if (starts_lockout != nullptr) *starts_lockout = false;
    return NoVerdict(*attempt, found.status());
  }
  if (!found->has_value() || (*found)->password_hash.empty()) {
    (void)hasher_->VerifyDummy(password);
    return InvalidCredentials();
  }
  const LocalCredentials& creds = **found;
  absl::Status verified = hasher_->Verify(password, creds.password_hash);
  if (absl::IsUnavailable(verified)) {
    if (starts_lockout != nullptr) *starts_lockout = false;
    return NoVerdict(*attempt, verified);  // the hash could not be computed: no verdict
  }
  if (absl::IsInternal(verified)) {
    // A broken stored hash: log the detail, answer like a wrong password.
    spdlog::error("login: stored password hash unusable user={} error={}", LogSafe(user),
                  LogSafe(std::string(verified.message())));
    return InvalidCredentials();
  }
  if (!verified.ok()) return InvalidCredentials();
  if (creds.totp_enabled) {
    if (totp_code.empty()) return absl::UnauthenticatedError("TOTP code required");
    absl::Status code = totp_->Verify(user, creds.totp_secret, totp_code);
    if (absl::IsUnauthenticated(code)) return code;
    if (!code.ok()) {  // store outage: retryable, not a failure
      if (starts_lockout != nullptr) *starts_lockout = false;
      return NoVerdict(*attempt, code);
    }
  }
  if (starts_lockout != nullptr) *starts_lockout = false;
  if (absl::Status s = throttle_->AttemptSucceeded(*attempt); !s.ok()) return s;
  return LocalLoginResult{.mfa_verified = creds.totp_enabled,
                          .needs_rehash = hasher_->NeedsRehash(creds.password_hash),
                          .password_hash = creds.password_hash,
                          .session_generation = creds.session_generation};
}

}  // namespace jit::auth
