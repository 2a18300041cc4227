#include "services/auth/session_manager.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/text_fields.h"
#include "services/auth/service_name.h"

namespace jit::auth {

using jit::common::v1::Identity;

absl::StatusOr<std::unique_ptr<SessionManager>> SessionManager::Create(
    SessionOptions options, SessionStore* sessions, SigningKeyRing* keys,
    policy::PermissionChecker* permissions, const Clock* clock) {
  if (options.max_ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "max_session_ttl: at most 24h (every service refuses longer-lived tokens)");
  }
  if (options.min_ttl <= absl::ZeroDuration() || options.default_ttl < options.min_ttl) {
    return absl::InvalidArgumentError("session_ttl: must be at least 1m");
  }
  if (options.default_ttl > options.max_ttl) {
    return absl::InvalidArgumentError("session_ttl: must not exceed max_session_ttl");
  }
  if (sessions == nullptr || keys == nullptr || permissions == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("session manager: missing dependency");
  }
  return std::unique_ptr<SessionManager>(
      new SessionManager(options, sessions, keys, permissions, clock));
}

absl::StatusOr<absl::Duration> SessionManager::SessionTtl(absl::Duration requested) const {
  if (requested < absl::ZeroDuration()) return absl::InvalidArgumentError("ttl: negative");
  if (requested == absl::ZeroDuration()) return options_.default_ttl;
  if (requested < options_.min_ttl) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl: at least ", absl::FormatDuration(options_.min_ttl)));
  }
  return std::min(absl::Trunc(requested, absl::Seconds(1)), options_.max_ttl);
}

absl::StatusOr<jit::auth::v1::LoginResponse> SessionManager::Start(
    Identity identity, int64_t user_generation, absl::Duration ttl, const audit::AuditActor& actor,
    std::map<std::string, std::string> details) {
  ASSIGN_OR_RETURN(absl::Duration lifetime, SessionTtl(ttl));
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
  const absl::Time expire = now + lifetime;
  ASSIGN_OR_RETURN(std::string session_id, crypto::RandomToken(32));
  identity.set_kind(Identity::KIND_USER);
  identity.set_session_id(session_id);
  SetProtoTimestamp(expire, identity.mutable_expire_time());

  // Signed before the session is stored: if storing fails the token is simply dropped.
  ASSIGN_OR_RETURN(std::shared_ptr<const jwt::SessionTokenIssuer> issuer, keys_->CurrentIssuer());
  ASSIGN_OR_RETURN(std::string token, issuer->Issue(identity, now, expire));

  details["auth_method"] = identity.auth_method();
  details["mfa"] = identity.mfa_verified() ? "true" : "false";
  details["expire_time"] = absl::FormatTime(expire);
  details["kid"] = issuer->kid();
  audit::AuditActor session_actor = actor;
  session_actor.session_id = session_id;
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.login", now, session_actor,
                           absl::StrCat("user:", identity.name()),
                           audit::AuditEvent::OUTCOME_SUCCESS, "session started", details));
  RETURN_IF_ERROR(sessions_->Create({.id = session_id,
                                     .user = identity.name(),
                                     .auth_method = identity.auth_method(),
                                     .mfa = identity.mfa_verified(),
                                     .issue_time = now,
                                     .expire_time = expire},
                                    user_generation, event));
  jit::auth::v1::LoginResponse response;
  response.set_token(std::move(token));
  SetProtoTimestamp(expire, response.mutable_expire_time());
  *response.mutable_identity() = std::move(identity);
  return response;
}

absl::Status SessionManager::Logout(const Identity& caller, std::string_view session_id,
                                    const audit::AuditActor& actor) {
  if (caller.kind() != Identity::KIND_USER || caller.session_id().empty()) {
    return absl::PermissionDeniedError("only a person's session can log out");
  }
  const bool own = session_id.empty() || session_id == caller.session_id();
  const std::string target_id = own ? caller.session_id() : std::string(session_id);
  if (!own) {
    if (target_id.size() > 128) return absl::InvalidArgumentError("session_id: too long");
    RETURN_IF_ERROR(ValidateText(target_id, "session_id"));
    RETURN_IF_ERROR(permissions_->Check(caller, "user", "revoke"));
  }
  const absl::Time now = clock_->Now();
  std::string target = absl::StrCat("session:", target_id);
  if (own) target = absl::StrCat("user:", caller.name());
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.logout", now, actor, target,
                           audit::AuditEvent::OUTCOME_SUCCESS,
                           own ? "session ended by its user" : "session ended by an admin",
                           {{"session", own ? "own" : "other"}}));
  event.set_session_id(target_id);
  return sessions_->Revoke(target_id, actor.actor, now, event);
}

absl::StatusOr<jit::auth::v1::ListRevokedSessionsResponse> SessionManager::ListRevoked(
    int64_t after_cursor) {
  if (after_cursor < 0) return absl::InvalidArgumentError("after_cursor: negative");
  ASSIGN_OR_RETURN(RevocationUpdate update, sessions_->ListRevoked(after_cursor, clock_->Now()));
  jit::auth::v1::ListRevokedSessionsResponse response;
  response.set_cursor(update.cursor);
  response.set_complete(update.complete);
  for (const RevokedSession& s : update.sessions) {
    auto* out = response.add_sessions();
    out->set_session_id(s.session_id);
    SetProtoTimestamp(s.expire_time, out->mutable_expire_time());
  }
  return response;
}

}  // namespace jit::auth
