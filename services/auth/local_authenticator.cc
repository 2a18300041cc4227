#include "services/auth/local_authenticator.h"

#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {
absl::Status InvalidCredentials() {
  return absl::UnauthenticatedError("invalid username or password");
}
}  // namespace

absl::Status LocalAuthenticator::Fail(std::string_view user, absl::Status answer) {
  if (absl::Status s = throttle_->RecordFailure(user); !s.ok()) return s;
  return answer;
}

absl::StatusOr<LocalLoginResult> LocalAuthenticator::Authenticate(std::string_view user,
                                                                  const SecretString& password,
                                                                  std::string_view totp_code) {
  if (absl::Status allowed = throttle_->CheckAllowed(user); !allowed.ok()) return allowed;
  absl::StatusOr<std::optional<LocalCredentials>> found = users_->Find(user);
  if (!found.ok()) return found.status();
  if (!found->has_value() || (*found)->password_hash.empty()) {
    (void)hasher_->VerifyDummy(password);
    return Fail(user, InvalidCredentials());
  }
  const LocalCredentials& creds = **found;
  absl::Status verified = hasher_->Verify(password, creds.password_hash);
  if (absl::IsInternal(verified)) {
    // A broken stored hash: log the detail, answer like a wrong password.
    spdlog::error("login: stored password hash unusable user={} error={}", LogSafe(user),
                  LogSafe(std::string(verified.message())));
    return Fail(user, InvalidCredentials());
  }
  if (!verified.ok()) return Fail(user, InvalidCredentials());
  if (creds.totp_enabled) {
    if (totp_code.empty()) {
      return Fail(user, absl::UnauthenticatedError("TOTP code required"));
    }
    absl::Status code = totp_->Verify(user, creds.totp_secret, totp_code);
    if (absl::IsUnauthenticated(code)) return Fail(user, code);
    if (!code.ok()) return code;  // store outage: retryable, not a failed login
  }
  if (absl::Status s = throttle_->RecordSuccess(user); !s.ok()) return s;
  return LocalLoginResult{.mfa_verified = creds.totp_enabled,
                          .needs_rehash = hasher_->NeedsRehash(creds.password_hash),
                          .password_hash = creds.password_hash,
                          .session_generation = creds.session_generation};
}

}  // namespace jit::auth
