#include "services/auth/auth_app.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/client/peer.h"
#include "common/http/http_client.h"
#include "common/status_macros.h"
#include "services/auth/auth_metrics.h"
#include "services/auth/auth_service_impl.h"
#include "services/auth/bootstrap_users.h"
#include "services/auth/concurrency_limiter.h"
#include "services/auth/key_encryption.h"
#include "services/auth/local_authenticator.h"
#include "services/auth/lockout.h"
#include "services/auth/login_manager.h"
#include "services/auth/maintenance.h"
#include "services/auth/oidc/sealed_state.h"
#include "services/auth/oidc_connectors_config.h"
#include "services/auth/password_hasher.h"
#include "services/auth/policy_permission_checker.h"
#include "services/auth/postgres_login_attempt_store.h"
#include "services/auth/postgres_oidc_used_state_store.h"
#include "services/auth/postgres_session_store.h"
#include "services/auth/postgres_signing_key_store.h"
#include "services/auth/postgres_totp_step_store.h"
#include "services/auth/postgres_user_store.h"
#include "services/auth/service_name.h"
#include "services/auth/session_manager.h"
#include "services/auth/signing_key_ring.h"
#include "services/auth/stored_token_sources.h"
#include "services/auth/totp.h"
#include "services/auth/user_administration.h"
#include "services/auth/user_store_credentials.h"
#include "services/policy/client/grpc_policy_client.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {

absl::Status Named(absl::string_view flag, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(flag, ": ", s.message()));
}

// Owns every object of the running service. Members are declared in dependency order, so
// they are destroyed in reverse: the maintenance thread first, the stores last.
class AuthApp final : public server::ServiceApp {
 public:
  AuthApp(server::ServiceRuntime& runtime, const AuthConfig& config)
      : runtime_(runtime),
        config_(config),
        policy_peer_("policy", runtime.config.peers.policy, runtime.tls,
                     runtime.config.rpc_timeout),
        policy_(&policy_peer_),
        permissions_(&policy_),
        metrics_(runtime.registry),
        hash_limiter_(config.max_concurrent_password_hashes, absl::Seconds(10)) {}

  absl::Status Init() {
    const Clock* clock = &runtime_.clock;
    db::PgPool* pool = &runtime_.pool;
    absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> kek =
        KeyEncryptionKey::FromFile(config_.key_encryption_key_file);
    RETURN_IF_ERROR(Named("key_encryption_key_file", kek.status()));
    kek_ = *std::move(kek);
    spdlog::info("key-encryption key id={}", kek_->id_hex());

    users_ = std::make_unique<PostgresUserStore>(pool, kek_.get());
    sessions_store_ = std::make_unique<PostgresSessionStore>(pool);
    keys_store_ = std::make_unique<PostgresSigningKeyStore>(pool, kek_.get());
    attempts_ = std::make_unique<PostgresLoginAttemptStore>(pool);
    steps_ = std::make_unique<PostgresTotpStepStore>(pool);
    oidc_states_ = std::make_unique<oidc::OidcStateSealer>(kek_.get());
    oidc_used_states_ = std::make_unique<PostgresOidcUsedStateStore>(pool);
    audit_ = std::make_unique<audit::PostgresAuditOutbox>(pool, kAuthService);

    ASSIGN_OR_RETURN(hasher_, PasswordHasher::Create());
    ASSIGN_OR_RETURN(throttle_, LoginThrottle::Create({.max_failures = config_.lockout_max_failures,
                                                       .window = config_.lockout_window,
                                                       .max_lockout = config_.lockout_window},
                                                      attempts_.get(), clock));
    totp_ = std::make_unique<TotpVerifier>(clock, steps_.get());
    credentials_ = std::make_unique<UserStoreCredentials>(users_.get());
    local_ = std::make_unique<LocalAuthenticator>(credentials_.get(), hasher_.get(),
                                                  throttle_.get(), totp_.get());

    ASSIGN_OR_RETURN(keys_,
                     SigningKeyRing::Create({.issuer = runtime_.config.token_issuer,
                                             .audience = runtime_.config.token_audience,
                                             .publish_delay = config_.signing_key_publish_delay,
                                             .retention = SigningKeyRetention(config_)},
                                            keys_store_.get(), clock));
    RETURN_IF_ERROR(keys_->EnsureKey());
    RETURN_IF_ERROR(keys_->CurrentIssuer().status());  // the key unseals with this KEK
    ASSIGN_OR_RETURN(sessions_,
                     SessionManager::Create(
                         {.default_ttl = config_.session_ttl, .max_ttl = config_.max_session_ttl},
                         sessions_store_.get(), keys_.get(), &permissions_, clock));
    RETURN_IF_ERROR(Named("oidc_connectors_file", InitConnectors()));
    std::map<std::string, oidc::OidcConnector*> connectors;
    for (auto& [name, connector] : connectors_) connectors[name] = connector.get();
    ASSIGN_OR_RETURN(logins_, LoginManager::Create({.local = local_.get(),
                                                    .users = users_.get(),
                                                    .hasher = hasher_.get(),
                                                    .throttle = throttle_.get(),
                                                    .sessions = sessions_.get(),
                                                    .audit = audit_.get(),
                                                    .metrics = &metrics_,
                                                    .hash_limiter = &hash_limiter_,
                                                    .connectors = std::move(connectors),
                                                    .oidc_states = oidc_states_.get(),
                                                    .clock = clock}));
    ASSIGN_OR_RETURN(administration_,
                     UserAdministration::Create({.totp_issuer = config_.totp_issuer},
                                                {.users = users_.get(),
                                                 .attempts = attempts_.get(),
                                                 .throttle = throttle_.get(),
                                                 .hasher = hasher_.get(),
                                                 .totp = totp_.get(),
                                                 .permissions = &permissions_,
                                                 .hash_limiter = &hash_limiter_,
                                                 .audit = audit_.get(),
                                                 .clock = clock}));
    RETURN_IF_ERROR(Named("bootstrap_users_file", InitBootstrapUsers()));
    service_ =
        std::make_unique<AuthServiceImpl>(AuthServiceParts{.authorizer = &runtime_.authorizer,
                                                           .logins = logins_.get(),
                                                           .sessions = sessions_.get(),
                                                           .users = administration_.get(),
                                                           .keys = keys_.get(),
                                                           .permissions = &permissions_});
    StartMaintenance();
    return absl::OkStatus();
  }

  std::vector<server::RegisteredService> Services() override {
    return {server::RegisteredService::Of<v1::AuthService>(service_.get())};
  }

 private:
  absl::Status InitConnectors() {
    if (config_.oidc_connectors_file.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<oidc::OidcConnectorConfig> configs,
                     LoadOidcConnectors(config_.oidc_connectors_file));
    for (oidc::OidcConnectorConfig& c : configs) {
      ASSIGN_OR_RETURN(
          std::unique_ptr<http::CurlHttpClient> http,
          http::CurlHttpClient::Create({.allow_loopback_http = c.allow_loopback_http}));
      if (c.allow_loopback_http) {
        spdlog::warn("oidc connector {} may use plain http to 127.0.0.1 (tests only)", c.name);
      }
      const std::string name = c.name;
      ASSIGN_OR_RETURN(std::unique_ptr<oidc::OidcConnector> connector,
                       oidc::OidcConnector::Create(std::move(c), http.get(), oidc_states_.get(),
                                                   oidc_used_states_.get(), &runtime_.clock));
      http_clients_.push_back(std::move(http));
      connectors_[name] = std::move(connector);
    }
    std::vector<std::string> names;
    for (const auto& [name, c] : connectors_) names.push_back(name);
    spdlog::info("single sign-on connectors: {}", absl::StrJoin(names, ", "));
    return absl::OkStatus();
  }

  absl::Status InitBootstrapUsers() {
    if (config_.bootstrap_users_file.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<BootstrapUser> users,
                     LoadBootstrapUsers(config_.bootstrap_users_file));
    ASSIGN_OR_RETURN(std::vector<std::string> created,
                     ApplyBootstrapUsers(users, *administration_));
    spdlog::info("bootstrap users: {} listed, created: [{}]", users.size(),
                 absl::StrJoin(created, ", "));
    return absl::OkStatus();
  }

  void StartMaintenance() {
    const absl::Duration retention = SigningKeyRetention(config_);
    const absl::Duration window = config_.lockout_window;
    std::vector<CleanupStep> steps = {
        {"sessions",
         [this](absl::Time now) {
           // Kept an hour past expiry: verifiers drop revocations a little after exp.
           return sessions_store_->DeleteExpired(now - absl::Hours(1));
         }},
        {"login_failures",
         [this, window](absl::Time now) { return attempts_->DeleteStale(now - window); }},
        UsedOidcStatesCleanup(oidc_used_states_.get()),
        {"signing_keys",
         [this, retention](absl::Time now) { return keys_store_->DeleteRetired(now, retention); }},
    };
    maintenance_ = std::make_unique<Maintenance>(MaintenanceOptions{}, sessions_store_.get(),
                                                 &metrics_, std::move(steps), &runtime_.clock);
    maintenance_->Start();
  }

  server::ServiceRuntime& runtime_;
  const AuthConfig config_;
  client::PeerClient policy_peer_;
  policy::GrpcPolicyClient policy_;
  PolicyPermissionChecker permissions_;
  AuthMetrics metrics_;
  ConcurrencyLimiter hash_limiter_;
  std::unique_ptr<KeyEncryptionKey> kek_;
  std::unique_ptr<PostgresUserStore> users_;
  std::unique_ptr<PostgresSessionStore> sessions_store_;
  std::unique_ptr<PostgresSigningKeyStore> keys_store_;
  std::unique_ptr<PostgresLoginAttemptStore> attempts_;
  std::unique_ptr<PostgresTotpStepStore> steps_;
  std::unique_ptr<oidc::OidcStateSealer> oidc_states_;
  std::unique_ptr<PostgresOidcUsedStateStore> oidc_used_states_;
  std::unique_ptr<audit::PostgresAuditOutbox> audit_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<TotpVerifier> totp_;
  std::unique_ptr<UserStoreCredentials> credentials_;
  std::unique_ptr<LocalAuthenticator> local_;
  std::unique_ptr<SigningKeyRing> keys_;
  std::unique_ptr<SessionManager> sessions_;
  std::vector<std::unique_ptr<http::CurlHttpClient>> http_clients_;
  std::map<std::string, std::unique_ptr<oidc::OidcConnector>> connectors_;
  std::unique_ptr<LoginManager> logins_;
  std::unique_ptr<UserAdministration> administration_;
  std::unique_ptr<AuthServiceImpl> service_;
  std::unique_ptr<Maintenance> maintenance_;
};

}  // namespace

absl::Status ValidateAuthConfig(const AuthConfig& c) {
  if (c.key_encryption_key_file.empty()) {
    return absl::InvalidArgumentError(
        "key_encryption_key_file: must be set (openssl rand -base64 32 > kek; chmod 600 kek)");
  }
  if (c.max_session_ttl < absl::Minutes(1) || c.max_session_ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "max_session_ttl: must be between 1m and 24h (every service refuses longer tokens)");
  }
  if (c.session_ttl < absl::Minutes(1) || c.session_ttl > c.max_session_ttl) {
    return absl::InvalidArgumentError("session_ttl: must be between 1m and max_session_ttl");
  }
  if (c.signing_key_publish_delay < absl::Seconds(6) ||
      c.signing_key_publish_delay > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "signing_key_publish_delay: must be between 6s (verifiers fetch new keys at most every "
        "5s) and 1h");
  }
  if (c.lockout_max_failures < 1 || c.lockout_max_failures > 100) {
    return absl::InvalidArgumentError("lockout_max_failures: must be between 1 and 100");
  }
  if (c.lockout_window < absl::Minutes(1) || c.lockout_window > absl::Hours(24)) {
    return absl::InvalidArgumentError("lockout_window: must be between 1m and 24h");
  }
  if (c.max_concurrent_password_hashes < 1 || c.max_concurrent_password_hashes > 256) {
    return absl::InvalidArgumentError(
        "max_concurrent_password_hashes: must be between 1 and 256 (each takes 64 MiB)");
  }
  if (c.totp_issuer.empty() || c.totp_issuer.size() > 64 ||
      c.totp_issuer.find(':') != std::string::npos) {
    return absl::InvalidArgumentError("totp_issuer: 1-64 characters without ':'");
  }
  return absl::OkStatus();
}

absl::Duration SigningKeyRetention(const AuthConfig& config) {
  return std::max(config.max_session_ttl + absl::Minutes(5), absl::Hours(1));
}

absl::StatusOr<TokenSources> StoredTokenSources(const AuthConfig& config, db::PgPool& pool,
                                                const Clock& clock) {
  return TokenSources{.jwks = std::make_unique<StoredJwksSource>(
                          std::make_shared<PostgresSigningKeyStore>(&pool, nullptr), &clock,
                          SigningKeyRetention(config)),
                      .revocations = std::make_unique<StoredRevocationFeed>(
                          std::make_shared<PostgresSessionStore>(&pool), &clock)};
}

absl::StatusOr<std::unique_ptr<server::ServiceApp>> BuildAuthApp(server::ServiceRuntime& runtime,
                                                                 const AuthConfig& config) {
  RETURN_IF_ERROR(ValidateAuthConfig(config));
  auto app = std::make_unique<AuthApp>(runtime, config);
  RETURN_IF_ERROR(app->Init());
  return app;
}

}  // namespace jit::auth
