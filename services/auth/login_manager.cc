#include "services/auth/login_manager.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/auth/service_name.h"
#include "services/auth/user_validation.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {

using jit::common::v1::Identity;

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Status ValidTtl(const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() >= 1'000'000'000) {
    return absl::InvalidArgumentError("ttl: must be a non-negative duration");
  }
  return absl::OkStatus();
}

bool IsLockout(const absl::Status& s) {
  return absl::StartsWith(s.message(), "too many failed login attempts");
}

// The audit reason for a LocalAuthenticator refusal (local_authenticator.h lists them).
std::string RefusalReason(const absl::Status& s) {
  if (IsLockout(s)) return "locked";
  if (s.message() == "TOTP code required") return "totp_required";
  if (s.message() == "invalid TOTP code") return "invalid_totp";
  if (s.message() == "TOTP code already used") return "totp_replayed";
  return "invalid_credentials";
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoginManager>> LoginManager::Create(LoginDependencies deps) {
  if (deps.local == nullptr || deps.users == nullptr || deps.hasher == nullptr ||
      deps.throttle == nullptr || deps.sessions == nullptr || deps.audit == nullptr ||
      deps.metrics == nullptr || deps.hash_limiter == nullptr || deps.clock == nullptr ||
      (!deps.connectors.empty() && deps.oidc_states == nullptr)) {
    return absl::InvalidArgumentError("login manager: missing dependency");
  }
  for (const auto& [name, connector] : deps.connectors) {
    if (connector == nullptr) return absl::InvalidArgumentError("login manager: null connector");
  }
  return std::unique_ptr<LoginManager>(new LoginManager(std::move(deps)));
}

void LoginManager::AppendAudit(absl::StatusOr<audit::AuditEvent> event) {
  audit::AppendOrLog(*d_.audit, event);
}

absl::Status LoginManager::LocalRefused(const std::string& user, const audit::AuditActor& client,
                                        absl::Status refusal, std::string reason,
                                        bool starts_lockout) {
  const absl::Time now = d_.clock->Now();
  const bool locked = IsLockout(refusal);
  d_.metrics->RecordLogin(LoginMethod::kLocal,
                          locked ? LoginResult::kLocked : LoginResult::kFailure);
  if (reason.empty()) reason = RefusalReason(refusal);
  AppendAudit(audit::NewAuditEvent(
      kAuthService, "auth.login.failed", now, client, absl::StrCat("user:", user),
      locked ? audit::AuditEvent::OUTCOME_DENIED : audit::AuditEvent::OUTCOME_FAILURE,
      "local login refused", {{"reason", std::move(reason)}, {"auth_method", "local"}}));
  if (!locked && starts_lockout) {
    // This failure locked the name (of failures racing, exactly one does).
    AppendAudit(audit::NewAuditEvent(
        kAuthService, "auth.user.locked", now, {.actor = "system"}, absl::StrCat("user:", user),
        audit::AuditEvent::OUTCOME_SUCCESS, "login locked after repeated failures"));
  }
  return refusal;
}

absl::Status LoginManager::LocalUserChanged(const std::string& user,
                                            const std::vector<std::string>& checked_hashes,
                                            const audit::AuditActor& client) {
  absl::StatusOr<std::optional<UserRecord>> now = d_.users->Get(user);
  if (!now.ok()) {
    d_.metrics->RecordLogin(LoginMethod::kLocal, LoginResult::kError);
    return now.status();
  }
  if (!now->has_value() || std::find(checked_hashes.begin(), checked_hashes.end(),
                                     (*now)->password_hash) == checked_hashes.end()) {
    // Deleted, or another password: the one just checked no longer opens the account.
    return LocalRefused(user, client, absl::UnauthenticatedError("invalid username or password"),
                        "credentials_changed");
  }
  // Same password, other roles or traits: a new login gets a session with the new ones.
  d_.metrics->RecordLogin(LoginMethod::kLocal, LoginResult::kError);
  AppendAudit(audit::NewAuditEvent(kAuthService, "auth.login.failed", d_.clock->Now(), client,
                                   absl::StrCat("user:", user), audit::AuditEvent::OUTCOME_FAILURE,
                                   "local login aborted: the user changed during login",
                                   {{"reason", "user_changed"}, {"auth_method", "local"}}));
  return absl::AbortedError(
      "the user's roles or traits changed during login; log in again for a session with them");
}

absl::StatusOr<jit::auth::v1::LoginResponse> LoginManager::Login(
    const jit::auth::v1::LoginRequest& request, const audit::AuditActor& client) {
  RETURN_IF_ERROR(ValidateUserName(request.username(), "username"));
  if (request.password().empty()) return absl::InvalidArgumentError("password: required");
  if (request.password().size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError("password: too long");
  }
  const std::string& code = request.totp_code();
  if (!code.empty() && (code.size() != 6 || !std::all_of(code.begin(), code.end(), [](char c) {
                          return absl::ascii_isdigit(static_cast<unsigned char>(c));
                        }))) {
    return absl::InvalidArgumentError("totp_code: must be 6 digits");
  }
  RETURN_IF_ERROR(ValidTtl(request.ttl()));
  const absl::Duration ttl = FromProto(request.ttl());
  RETURN_IF_ERROR(d_.sessions->SessionTtl(ttl).status());

  const std::string& user = request.username();
  const SecretString password(request.password());
  std::optional<ConcurrencyLimiter::Slot> slot;
  {
    absl::StatusOr<ConcurrencyLimiter::Slot> acquired =
        d_.hash_limiter->Acquire(SourceOfPeer(client.remote_addr));
    if (!acquired.ok()) {
      d_.metrics->RecordLogin(LoginMethod::kLocal, LoginResult::kError);
      return acquired.status();
    }
    slot.emplace(*std::move(acquired));
  }
  bool starts_lockout = false;
  absl::StatusOr<LocalLoginResult> result =
      d_.local->Authenticate(user, password, code, &starts_lockout);
  if (absl::IsUnauthenticated(result.status())) {
    return LocalRefused(user, client, result.status(), "", starts_lockout);
  }
  if (!result.ok()) {
    d_.metrics->RecordLogin(LoginMethod::kLocal, LoginResult::kError);
    return result.status();
  }
  // Roles and traits for the token, from the version of the user whose password was just
  // checked: a change since (password, roles or traits, deletion) ends this login.
  std::vector<std::string> checked_hashes = {result->password_hash};
  absl::StatusOr<std::optional<UserRecord>> record = d_.users->Get(user);
  if (!record.ok()) {
    d_.metrics->RecordLogin(LoginMethod::kLocal, LoginResult::kError);
    return record.status();
  }
  if (!record->has_value() || (*record)->session_generation != result->session_generation) {
    return LocalUserChanged(user, checked_hashes, client);
  }
  if (result->needs_rehash) {
    absl::StatusOr<std::string> rehashed = d_.hasher->Hash(password);
    // Compare-and-set on the hash that was checked (never over a password set meanwhile).
    absl::Status s = rehashed.ok()
                         ? d_.users->RehashPassword(user, result->password_hash, *rehashed)
                         : rehashed.status();
    if (s.ok()) checked_hashes.push_back(*rehashed);
    if (!s.ok()) spdlog::warn("password rehash failed user={}: {}", LogSafe(user), s.ToString());
  }
  slot.reset();  // the expensive part is over

  Identity identity;
  identity.set_kind(Identity::KIND_USER);
  identity.set_name(user);
  *identity.mutable_roles() = (*record)->profile.roles();
  *identity.mutable_traits() = (*record)->profile.traits();
  identity.set_mfa_verified(result->mfa_verified);
  identity.set_auth_method("local");
  audit::AuditActor actor = client;
  actor.actor = absl::StrCat("user:", user);
  // Stored only if the user is still at that generation (SessionStore::Create).
  absl::StatusOr<jit::auth::v1::LoginResponse> response =
      d_.sessions->Start(std::move(identity), result->session_generation, ttl, actor, {});
  if (absl::IsAborted(response.status())) return LocalUserChanged(user, checked_hashes, client);
  d_.metrics->RecordLogin(LoginMethod::kLocal,
                          response.ok() ? LoginResult::kSuccess : LoginResult::kError);
  return response;
}

absl::StatusOr<jit::auth::v1::BeginOidcLoginResponse> LoginManager::BeginOidc(
    const jit::auth::v1::BeginOidcLoginRequest& request) {
  if (d_.connectors.empty()) {
    return absl::FailedPreconditionError("single sign-on is not configured on this server");
  }
  oidc::OidcConnector* connector = nullptr;
  if (request.connector().empty()) {
    if (d_.connectors.size() != 1) {
      std::vector<std::string> names;
      for (const auto& [name, c] : d_.connectors) names.push_back(name);
      return absl::InvalidArgumentError(
          absl::StrCat("connector: required (configured: ", absl::StrJoin(names, ", "), ")"));
    }
    connector = d_.connectors.begin()->second;
  } else {
    const auto it = d_.connectors.find(request.connector());
    if (it == d_.connectors.end()) {
      return absl::NotFoundError(
          absl::StrCat("connector \"", LogSafe(request.connector(), 64), "\" is not configured"));
    }
    connector = it->second;
  }
  RETURN_IF_ERROR(ValidTtl(request.ttl()));
  if (request.redirect_url().size() > oidc::kMaxRedirectUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect_url: at most ", oidc::kMaxRedirectUrlBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(oidc::OidcLoginStart start,
                   connector->Begin(request.redirect_url(), FromProto(request.ttl())));
  jit::auth::v1::BeginOidcLoginResponse response;
  response.set_authorization_url(std::move(start.authorization_url));
  response.set_state(std::move(start.state));
  response.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(start.expire_time));
  return response;
}

absl::StatusOr<jit::auth::v1::LoginResponse> LoginManager::CompleteOidc(
    const jit::auth::v1::CompleteOidcLoginRequest& request, const audit::AuditActor& client) {
  const absl::Time now = d_.clock->Now();
  auto refused = [&](const std::string& connector, absl::Status status) {
    const bool refusal = absl::IsUnauthenticated(status) || absl::IsFailedPrecondition(status);
    const bool user_changed = absl::IsAborted(status);
    d_.metrics->RecordLogin(LoginMethod::kOidc,
                            refusal ? LoginResult::kFailure : LoginResult::kError);
    if (refusal || user_changed) {
      AppendAudit(audit::NewAuditEvent(kAuthService, "auth.login.failed", now, client,
                                       "user:unknown", audit::AuditEvent::OUTCOME_FAILURE,
                                       "single sign-on refused",
                                       {{"reason", user_changed ? "user_changed" : "oidc_refused"},
                                        {"auth_method", absl::StrCat("oidc:", connector)},
                                        {"error", LogSafe(std::string(status.message()), 200)}}));
    }
    return status;
  };
  if (d_.connectors.empty()) {
    return absl::FailedPreconditionError("single sign-on is not configured on this server");
  }
  if (request.state().empty() || request.state().size() > oidc::kMaxOidcStateChars ||
      request.code().empty() || request.code().size() > 4096) {
    return absl::InvalidArgumentError("state and code: required (as the provider sent them)");
  }
  // The state names its connector; one that does not open is refused like an unknown one.
  absl::StatusOr<oidc::OidcLoginState> login = d_.oidc_states->Open(request.state());
  if (!login.ok()) return refused("?", login.status());
  const std::string name = login->connector;
  const auto it = d_.connectors.find(name);
  if (it == d_.connectors.end()) {
    return refused(name, absl::UnauthenticatedError(
                             "OIDC login began with a connector that is no longer configured"));
  }
  absl::StatusOr<oidc::OidcIdentity> external = it->second->Complete(*login, request.code());
  if (!external.ok()) return refused(name, external.status());
  Identity identity = external->ToIdentity();

  // Store the user with this login's roles and traits (never over a local user).
  UserRecord record;
  record.profile.set_name(identity.name());
  *record.profile.mutable_roles() = identity.roles();
  *record.profile.mutable_traits() = identity.traits();
  record.profile.set_origin(identity.auth_method());
  if (absl::Status s = ValidateRolesAndTraits(record.profile, "identity"); !s.ok()) {
    return refused(
        name, absl::FailedPreconditionError(absl::StrCat(
                  "the identity provider's claims map to an unusable identity: ", s.message())));
  }
  const int64_t seconds = absl::ToUnixSeconds(now);
  record.profile.mutable_create_time()->set_seconds(seconds);
  record.profile.mutable_update_time()->set_seconds(seconds);
  audit::AuditActor actor = client;
  actor.actor = absl::StrCat("user:", identity.name());
  ASSIGN_OR_RETURN(
      audit::AuditEvent event,
      audit::NewAuditEvent(kAuthService, "auth.user.sso_updated", now, actor,
                           absl::StrCat("user:", identity.name()),
                           audit::AuditEvent::OUTCOME_SUCCESS, "user recorded from single sign-on",
                           {{"subject", LogSafe(external->subject, 200)},
                            {"roles", absl::StrJoin(identity.roles(), ",")}}));
  absl::StatusOr<UserRecord> stored = d_.users->UpsertExternal(record, event);
  if (!stored.ok()) return refused(name, stored.status());
  // Stored only if the user is still the one just recorded: not deleted (or deleted and
  // recorded again by another login) meanwhile.
  absl::StatusOr<jit::auth::v1::LoginResponse> response =
      d_.sessions->Start(std::move(identity), stored->session_generation, absl::ZeroDuration(),
                         actor, {{"subject", LogSafe(external->subject, 200)}});
  if (absl::IsAborted(response.status())) {
    return refused(name,
                   absl::AbortedError("the user was deleted during single sign-on; log in again"));
  }
  d_.metrics->RecordLogin(LoginMethod::kOidc,
                          response.ok() ? LoginResult::kSuccess : LoginResult::kError);
  return response;
}

}  // namespace jit::auth
