#include "services/auth/user_administration.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/base32.h"
#include "common/crypto/base64.h"
#include "common/logging.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "services/auth/service_name.h"
#include "services/auth/user_validation.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {

using jit::auth::v1::User;
using jit::common::v1::Identity;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

bool IsLocal(const UserRecord& record) { return record.profile.origin() == "local"; }

absl::Status ManagedByProvider(const UserRecord& record, std::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      "user \"", record.profile.name(), "\" comes from single sign-on (", record.profile.origin(),
      "): its ", absl::string_view(what.data(), what.size()), " come from the identity provider"));
}

absl::Status NotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("user \"", name, "\" not found"));
}

bool IsSixDigits(const std::string& code) {
  return code.size() == 6 && std::all_of(code.begin(), code.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c));
         });
}

// The public view of a record (no credentials).
User Public(const UserRecord& record) {
  User user = record.profile;
  user.set_totp_enabled(!record.totp_secret.empty());
  return user;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UserAdministration>> UserAdministration::Create(
    UserAdministrationOptions options, UserAdministrationDependencies deps) {
  if (deps.users == nullptr || deps.attempts == nullptr || deps.throttle == nullptr ||
      deps.hasher == nullptr || deps.totp == nullptr || deps.permissions == nullptr ||
      deps.hash_limiter == nullptr || deps.audit == nullptr || deps.clock == nullptr) {
    return absl::InvalidArgumentError("user administration: missing dependency");
  }
  if (options.totp_issuer.empty() || options.enrollment_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("user administration: bad TOTP options");
  }
  return std::unique_ptr<UserAdministration>(new UserAdministration(std::move(options), deps));
}

absl::Status UserAdministration::Authorize(const Identity& caller, const std::string& name,
                                           bool self_allowed, std::string_view verb) {
  if (caller.kind() != Identity::KIND_USER || caller.name().empty()) {
    return absl::PermissionDeniedError("user administration is for people");
  }
  if (self_allowed && caller.name() == name) return absl::OkStatus();
  return d_.permissions->Check(caller, "user", verb);
}

absl::StatusOr<User> UserAdministration::WithLockState(User user) {
  ASSIGN_OR_RETURN(LoginFailures failures, d_.attempts->Get(user.name()));
  user.set_locked(d_.throttle->LockedUntil(failures) > d_.clock->Now());
  return user;
}

absl::StatusOr<std::string> UserAdministration::HashPassword(const SecretString& password) {
  ASSIGN_OR_RETURN(ConcurrencyLimiter::Slot slot, d_.hash_limiter->Acquire());
  return d_.hasher->Hash(password);
}

absl::StatusOr<User> UserAdministration::CreateUser(const Identity& caller,
                                                    const jit::auth::v1::CreateUserRequest& request,
                                                    const audit::AuditActor& actor) {
  const User& in = request.user();
  RETURN_IF_ERROR(ValidateUserName(in.name(), "user.name"));
  RETURN_IF_ERROR(ValidateRolesAndTraits(in, "user"));
  if (!in.origin().empty() && in.origin() != "local") {
    return absl::InvalidArgumentError(
        "user.origin: only local users can be created (single sign-on users appear at login)");
  }
  const SecretString password(request.password());
  if (!password.empty()) RETURN_IF_ERROR(ValidateNewPassword(password, "password"));
  RETURN_IF_ERROR(Authorize(caller, in.name(), /*self_allowed=*/false, "create"));

  UserRecord record;
  record.profile.set_name(in.name());
  *record.profile.mutable_roles() = in.roles();
  *record.profile.mutable_traits() = in.traits();
  record.profile.set_origin("local");
  const absl::Time now = d_.clock->Now();
  SetProtoTimestamp(TruncateToMicros(now), record.profile.mutable_create_time());
  SetProtoTimestamp(TruncateToMicros(now), record.profile.mutable_update_time());
  if (!password.empty()) {
    ASSIGN_OR_RETURN(record.password_hash, HashPassword(password));
  }
  ASSIGN_OR_RETURN(audit::AuditEvent event,
                   audit::NewAuditEvent(kAuthService, "auth.user.created", now, actor,
                                        absl::StrCat("user:", in.name()),
                                        audit::AuditEvent::OUTCOME_SUCCESS, "user created",
                                        {{"roles", absl::StrJoin(in.roles(), ",")},
                                         {"password_set", password.empty() ? "false" : "true"}}));
  RETURN_IF_ERROR(d_.users->Create(record, event));
  return Public(record);
}

absl::StatusOr<User> UserAdministration::GetUser(const Identity& caller,
                                                 const jit::auth::v1::GetUserRequest& request) {
  RETURN_IF_ERROR(ValidateUserName(request.name(), "name"));
  RETURN_IF_ERROR(Authorize(caller, request.name(), /*self_allowed=*/true, "read"));
  ASSIGN_OR_RETURN(std::optional<UserRecord> record, d_.users->Get(request.name()));
  if (!record.has_value()) return NotFound(request.name());
  return WithLockState(Public(*record));
}

absl::StatusOr<jit::auth::v1::ListUsersResponse> UserAdministration::ListUsers(
    const Identity& caller, const jit::auth::v1::ListUsersRequest& request) {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", kMaxPageSize));
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  std::string after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> decoded = crypto::Base64UrlDecode(request.page_token());
    if (!decoded.ok() || !ValidateUserName(*decoded, "page_token").ok()) {
      return absl::InvalidArgumentError("page_token: not a token from a previous ListUsers");
    }
    after = *std::move(decoded);
  }
  RETURN_IF_ERROR(Authorize(caller, "", /*self_allowed=*/false, "list"));
  ASSIGN_OR_RETURN(std::vector<UserRecord> records, d_.users->List(after, page_size + 1));
  jit::auth::v1::ListUsersResponse response;
  const bool more = static_cast<int>(records.size()) > page_size;
  if (more) records.resize(page_size);
  std::vector<std::string> names;
  names.reserve(records.size());
  for (const UserRecord& record : records) names.push_back(record.profile.name());
  ASSIGN_OR_RETURN(const auto failures, d_.attempts->GetMany(names));  // one query per page
  const absl::Time now = d_.clock->Now();
  for (const UserRecord& record : records) {
    User user = Public(record);
    const auto it = failures.find(user.name());
    user.set_locked(it != failures.end() && d_.throttle->LockedUntil(it->second) > now);
    *response.add_users() = std::move(user);
  }
  if (more) response.set_next_page_token(crypto::Base64UrlEncode(records.back().profile.name()));
  return response;
}

absl::StatusOr<User> UserAdministration::UpdateUser(const Identity& caller,
                                                    const jit::auth::v1::UpdateUserRequest& request,
                                                    const audit::AuditActor& actor) {
  const User& in = request.user();
  RETURN_IF_ERROR(ValidateUserName(in.name(), "user.name"));
  RETURN_IF_ERROR(ValidateRolesAndTraits(in, "user"));
  RETURN_IF_ERROR(Authorize(caller, in.name(), /*self_allowed=*/false, "update"));
  ASSIGN_OR_RETURN(std::optional<UserRecord> existing, d_.users->Get(in.name()));
  if (!existing.has_value()) return NotFound(in.name());
  if (!IsLocal(*existing)) return ManagedByProvider(*existing, "roles and traits");
  const absl::Time now = d_.clock->Now();
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.user.updated", now, actor,
                           absl::StrCat("user:", in.name()), audit::AuditEvent::OUTCOME_SUCCESS,
                           "roles and traits replaced; sessions ended",
                           {{"roles", absl::StrJoin(in.roles(), ",")},
                            {"previous_roles", absl::StrJoin(existing->profile.roles(), ",")}}));
  ASSIGN_OR_RETURN(UserRecord updated, d_.users->UpdateProfile(in, now, event));
  return WithLockState(Public(updated));
}

absl::Status UserAdministration::DeleteUser(const Identity& caller,
                                            const jit::auth::v1::DeleteUserRequest& request,
                                            const audit::AuditActor& actor) {
  RETURN_IF_ERROR(ValidateUserName(request.name(), "name"));
  RETURN_IF_ERROR(Authorize(caller, request.name(), /*self_allowed=*/false, "delete"));
  const absl::Time now = d_.clock->Now();
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.user.deleted", now, actor,
                           absl::StrCat("user:", request.name()),
                           audit::AuditEvent::OUTCOME_SUCCESS, "user deleted; sessions ended"));
  return d_.users->Delete(request.name(), now, event);
}

void UserAdministration::AuditCurrentPasswordRefused(const std::string& user,
                                                     const audit::AuditActor& actor,
                                                     const std::string& reason,
                                                     bool starts_lockout) {
  const absl::Time now = d_.clock->Now();
  const bool locked = reason == "locked";
  audit::AppendOrLog(
      *d_.audit,
      audit::NewAuditEvent(
          kAuthService, "auth.password.check_failed", now, actor, absl::StrCat("user:", user),
          locked ? audit::AuditEvent::OUTCOME_DENIED : audit::AuditEvent::OUTCOME_FAILURE,
          "current password refused while changing the password", {{"reason", reason}}));
  if (!locked && starts_lockout) {
    // This failure locked the name (of failures racing, exactly one does).
    audit::AppendOrLog(
        *d_.audit,
        audit::NewAuditEvent(kAuthService, "auth.user.locked", now, {.actor = "system"},
                             absl::StrCat("user:", user), audit::AuditEvent::OUTCOME_SUCCESS,
                             "locked after repeated failed password checks"));
  }
}

absl::Status UserAdministration::SetPassword(const Identity& caller,
                                             const jit::auth::v1::SetPasswordRequest& request,
                                             const audit::AuditActor& actor) {
  RETURN_IF_ERROR(ValidateUserName(request.name(), "name"));
  const SecretString new_password(request.new_password());
  RETURN_IF_ERROR(ValidateNewPassword(new_password, "new_password"));
  const bool self = caller.kind() == Identity::KIND_USER && caller.name() == request.name();
  if (self && request.current_password().empty()) {
    return absl::InvalidArgumentError("current_password: required to change your own password");
  }
  if (request.current_password().size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError("current_password: too long");
  }
  RETURN_IF_ERROR(Authorize(caller, request.name(), /*self_allowed=*/self, "update"));
  ASSIGN_OR_RETURN(std::optional<UserRecord> existing, d_.users->Get(request.name()));
  if (!existing.has_value()) return NotFound(request.name());
  if (!IsLocal(*existing)) return ManagedByProvider(*existing, "credentials");

  std::string hash;
  {
    ASSIGN_OR_RETURN(ConcurrencyLimiter::Slot slot, d_.hash_limiter->Acquire());
    if (self) {
      // Guessing the current password with a stolen session counts towards the lockout, as
      // a login does: counted before hashing (lockout.h), refused while locked.
      absl::StatusOr<LoginAttempt> attempt = d_.throttle->BeginAttempt(request.name());
      if (absl::IsUnauthenticated(attempt.status())) {
        AuditCurrentPasswordRefused(request.name(), actor, "locked", false);
        return absl::PermissionDeniedError(attempt.status().message());
      }
      RETURN_IF_ERROR(attempt.status());
      const SecretString current(request.current_password());
      absl::Status verified = existing->password_hash.empty()
                                  ? d_.hasher->VerifyDummy(current)
                                  : d_.hasher->Verify(current, existing->password_hash);
      if (absl::IsUnauthenticated(verified)) {
        AuditCurrentPasswordRefused(request.name(), actor, "wrong_current_password",
                                    d_.throttle->StartsLockout(*attempt));
        return absl::PermissionDeniedError("current_password does not match");
      }
      if (!verified.ok()) {
        // No verdict on the guess (e.g. an unusable stored hash): it does not count.
        if (absl::Status refunded = d_.throttle->RefundAttempt(*attempt); !refunded.ok()) {
          spdlog::warn("set password: refunding a lockout strike failed user={} error={}",
                       LogSafe(request.name()), LogSafe(refunded.ToString(), 256));
        }
        spdlog::error("set password: current password not checkable user={} error={}",
                      LogSafe(request.name()), LogSafe(verified.ToString(), 256));
        return absl::InternalError("the current password cannot be checked; ask an administrator");
      }
      RETURN_IF_ERROR(d_.throttle->AttemptSucceeded(*attempt));
    }
    ASSIGN_OR_RETURN(hash, d_.hasher->Hash(new_password));
  }
  const absl::Time now = d_.clock->Now();
  ASSIGN_OR_RETURN(audit::AuditEvent event,
                   audit::NewAuditEvent(kAuthService, "auth.user.password_set", now, actor,
                                        absl::StrCat("user:", request.name()),
                                        audit::AuditEvent::OUTCOME_SUCCESS,
                                        self ? "password changed by the user; other sessions ended"
                                             : "password set by an administrator; sessions ended",
                                        {{"by", self ? "self" : "admin"}}));
  // Self: only over the password just checked (an administrator's reset meanwhile wins).
  absl::Status set = d_.users->SetPasswordHash(
      request.name(), hash, now, self ? caller.session_id() : std::string(),
      self ? std::optional<int64_t>(existing->session_generation) : std::nullopt, event);
  if (self && absl::IsAborted(set)) {
    return absl::AbortedError(
        "the user was changed while the password was being changed (e.g. an administrator "
        "reset it); nothing was changed");
  }
  return set;
}

absl::StatusOr<UserRecord> UserAdministration::TotpTarget(const Identity& caller,
                                                          const std::string& requested) {
  const std::string name = requested.empty() ? caller.name() : requested;
  RETURN_IF_ERROR(ValidateUserName(name, "name"));
  const bool self = caller.kind() == Identity::KIND_USER && caller.name() == name;
  // A second factor is its owner's alone: an administrator who could enrol it (and so see
  // the secret) could log in as the user. ResetTotp removes it instead.
  if (!self) {
    return absl::PermissionDeniedError(
        "TOTP is enrolled only by its user; an administrator may reset it (ResetTotp)");
  }
  std::optional<UserRecord> record;
  ASSIGN_OR_RETURN(record, d_.users->Get(name));
  if (!record.has_value()) return NotFound(name);
  if (!record->totp_secret.empty() && !caller.mfa_verified()) {
    return absl::PermissionDeniedError(
        "TOTP is already enabled: replacing it needs a session established with it (or an "
        "administrator's ResetTotp)");
  }
  if (!IsLocal(*record)) return ManagedByProvider(*record, "second factors");
  return *std::move(record);
}

absl::StatusOr<jit::auth::v1::EnrollTotpResponse> UserAdministration::EnrollTotp(
    const Identity& caller, const jit::auth::v1::EnrollTotpRequest& request,
    const audit::AuditActor& actor) {
  ASSIGN_OR_RETURN(UserRecord target, TotpTarget(caller, request.name()));
  const std::string& name = target.profile.name();
  ASSIGN_OR_RETURN(SecretString secret, GenerateTotpSecret());
  const absl::Time now = d_.clock->Now();
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.totp.enrollment_started", now, actor,
                           absl::StrCat("user:", name), audit::AuditEvent::OUTCOME_SUCCESS,
                           "TOTP enrollment started"));
  RETURN_IF_ERROR(d_.users->PutTotpEnrollment(name, secret, now + options_.enrollment_ttl, event));
  jit::auth::v1::EnrollTotpResponse response;
  response.set_otpauth_uri(std::string(OtpauthUri(options_.totp_issuer, name, secret).Reveal()));
  response.set_secret_base32(crypto::Base32Encode(secret.Reveal()));
  return response;
}

absl::Status UserAdministration::ConfirmTotp(const Identity& caller,
                                             const jit::auth::v1::ConfirmTotpRequest& request,
                                             const audit::AuditActor& actor) {
  if (!IsSixDigits(request.code())) return absl::InvalidArgumentError("code: must be 6 digits");
  ASSIGN_OR_RETURN(UserRecord target, TotpTarget(caller, request.name()));
  const std::string& name = target.profile.name();
  const absl::Time now = d_.clock->Now();
  absl::StatusOr<SecretString> pending = d_.users->GetTotpEnrollment(name, now);
  if (absl::IsNotFound(pending.status())) {
    return absl::FailedPreconditionError(
        "no pending TOTP enrollment (it expires after a few minutes); call EnrollTotp first");
  }
  RETURN_IF_ERROR(pending.status());
  absl::Status verified = d_.totp->Verify(name, *pending, request.code());
  if (absl::IsUnauthenticated(verified)) {
    return absl::InvalidArgumentError(
        absl::StrCat("code: ", verified.message(), " for the secret being enrolled"));
  }
  RETURN_IF_ERROR(verified);
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.totp.enabled", now, actor,
                           absl::StrCat("user:", name), audit::AuditEvent::OUTCOME_SUCCESS,
                           target.totp_secret.empty() ? "TOTP enabled" : "TOTP replaced"));
  return d_.users->ActivateTotp(name, *pending, now, event);
}

absl::Status UserAdministration::ResetTotp(const Identity& caller,
                                           const jit::auth::v1::ResetTotpRequest& request,
                                           const audit::AuditActor& actor) {
  RETURN_IF_ERROR(ValidateUserName(request.name(), "name"));
  if (caller.kind() == Identity::KIND_USER && caller.name() == request.name()) {
    return absl::PermissionDeniedError(
        "ResetTotp is for another user's TOTP; replace your own with EnrollTotp");
  }
  RETURN_IF_ERROR(Authorize(caller, request.name(), /*self_allowed=*/false, "update"));
  ASSIGN_OR_RETURN(std::optional<UserRecord> record, d_.users->Get(request.name()));
  if (!record.has_value()) return NotFound(request.name());
  if (!IsLocal(*record)) return ManagedByProvider(*record, "second factors");
  const absl::Time now = d_.clock->Now();
  ASSIGN_OR_RETURN(audit::AuditEvent event,
                   audit::NewAuditEvent(kAuthService, "auth.totp.reset", now, actor,
                                        absl::StrCat("user:", request.name()),
                                        audit::AuditEvent::OUTCOME_SUCCESS,
                                        "TOTP removed by an administrator; sessions ended"));
  return d_.users->ResetTotp(request.name(), now, event);
}

absl::StatusOr<bool> UserAdministration::EnsureUser(const User& profile,
                                                    const SecretString& password,
                                                    const SecretString& totp_secret) {
  RETURN_IF_ERROR(ValidateUserName(profile.name(), "name"));
  RETURN_IF_ERROR(ValidateRolesAndTraits(profile, absl::StrCat("user ", profile.name())));
  if (!password.empty()) RETURN_IF_ERROR(ValidateNewPassword(password, "password"));
  if (!totp_secret.empty() && totp_secret.size() < 10) {
    return absl::InvalidArgumentError("totp secret: at least 80 bits");
  }
  ASSIGN_OR_RETURN(std::optional<UserRecord> existing, d_.users->Get(profile.name()));
  if (existing.has_value()) return false;
  UserRecord record;
  record.profile.set_name(profile.name());
  *record.profile.mutable_roles() = profile.roles();
  *record.profile.mutable_traits() = profile.traits();
  record.profile.set_origin("local");
  const absl::Time now = d_.clock->Now();
  SetProtoTimestamp(TruncateToMicros(now), record.profile.mutable_create_time());
  SetProtoTimestamp(TruncateToMicros(now), record.profile.mutable_update_time());
  if (!password.empty()) {
    ASSIGN_OR_RETURN(record.password_hash, HashPassword(password));
  }
  if (!totp_secret.empty()) {
    record.totp_secret = totp_secret;
    record.profile.set_totp_enabled(true);
  }
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(
          kAuthService, "auth.user.created", now, {.actor = "system"},
          absl::StrCat("user:", profile.name()), audit::AuditEvent::OUTCOME_SUCCESS,
          "bootstrap user created",
          {{"roles", absl::StrJoin(profile.roles(), ",")}, {"source", "bootstrap_users_file"}}));
  absl::Status created = d_.users->Create(record, event);
  if (absl::IsAlreadyExists(created)) return false;  // another replica was first
  RETURN_IF_ERROR(created);
  return true;
}

}  // namespace jit::auth
