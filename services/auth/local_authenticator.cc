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
  // refused here while locked (not counted).
  absl::StatusOr<LoginAttempt> attempt = throttle_->BeginAttempt(user);
  if (!attempt.ok()) return attempt.status();
  // A failure on the credentials: counted already; says whether it locked the name.
  auto failed = [&](absl::Status refusal) {
    if (starts_lockout != nullptr) *starts_lockout = throttle_->StartsLockout(*attempt);
    return refusal;
  };
  absl::StatusOr<std::optional<LocalCredentials>> found = users_->Find(user);
  if (!found.ok()) return NoVerdict(*attempt, found.status());
  if (!found->has_value() || (*found)->password_hash.empty()) {
    (void)hasher_->VerifyDummy(password);
    return failed(InvalidCredentials());
  }
  const LocalCredentials& creds = **found;
  absl::Status verified = hasher_->Verify(password, creds.password_hash);
  if (absl::IsUnavailable(verified)) {
    return NoVerdict(*attempt, verified);  // the hash could not be computed: no verdict
  }
  if (absl::IsInternal(verified)) {
    // A broken stored hash: log the detail, answer like a wrong password.
    spdlog::error("login: stored password hash unusable user={} error={}", LogSafe(user),
                  LogSafe(std::string(verified.message())));
    return failed(InvalidCredentials());
  }
  if (!verified.ok()) return failed(InvalidCredentials());
  if (creds.totp_enabled) {
    if (totp_code.empty()) return failed(absl::UnauthenticatedError("TOTP code required"));
    absl::Status code = totp_->Verify(user, creds.totp_secret, totp_code);
    if (absl::IsUnauthenticated(code)) return failed(code);
    if (!code.ok()) return NoVerdict(*attempt, code);  // store outage: retryable, not a failure
  }
  if (absl::Status s = throttle_->AttemptSucceeded(*attempt); !s.ok()) return s;
  return LocalLoginResult{.mfa_verified = creds.totp_enabled,
                          .needs_rehash = hasher_->NeedsRehash(creds.password_hash),
                          .password_hash = creds.password_hash,
                          .session_generation = creds.session_generation};
}

}  // namespace jit::auth
