#include "services/auth/auth_app.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/audit/service_outbox_relay.h"
#include "common/client/peer.h"
#include "common/crypto/key_encryption.h"
#include "common/http/http_client.h"
#include "common/status_macros.h"
#include "services/auth/auth_metrics.h"
#include "services/auth/auth_service_impl.h"
#include "services/auth/bootstrap_users.h"
#include "services/auth/concurrency_limiter.h"
#include "services/auth/local_authenticator.h"
#include "services/auth/lockout.h"
#include "services/auth/login_manager.h"
#include "services/auth/maintenance.h"
#include "services/auth/oidc/sealed_state.h"
#include "services/auth/oidc_connectors_config.h"
#include "services/auth/password_hasher.h"
#include "services/auth/service_name.h"
#include "services/auth/session_manager.h"
#include "services/auth/signing_key_ring.h"
#include "services/auth/storage/postgres_login_attempt_store.h"
#include "services/auth/storage/postgres_oidc_used_state_store.h"
#include "services/auth/storage/postgres_session_store.h"
#include "services/auth/storage/postgres_signing_key_store.h"
#include "services/auth/storage/postgres_totp_step_store.h"
#include "services/auth/storage/postgres_user_store.h"
#include "services/auth/stored_token_sources.h"
#include "services/auth/totp.h"
#include "services/auth/user_administration.h"
#include "services/auth/user_store_credentials.h"
#include "services/policy/client/grpc_policy_client.h"
#include "services/policy/client/policy_permission_checker.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, key_encryption_key_file, "",
          "File with the base64 of 32 random bytes (mode 0600) that seals signing keys and TOTP "
          "secrets in the database (required)");
ABSL_FLAG(absl::Duration, session_ttl, absl::Hours(8), "Session token lifetime by default");
ABSL_FLAG(absl::Duration, max_session_ttl, absl::Hours(24),
          "Longest session a login may ask for (at most 24h)");
ABSL_FLAG(absl::Duration, signing_key_publish_delay, absl::Seconds(10),
          "After RotateSigningKey, how long the new key is published before it signs");
ABSL_FLAG(std::string, bootstrap_users_file, "",
          "YAML file of local users created at start when missing (never overwritten)");
ABSL_FLAG(std::string, oidc_connectors_file, "", "YAML file of OIDC single sign-on connectors");
ABSL_FLAG(int, lockout_max_failures, 5, "Failed logins that lock a user name");
ABSL_FLAG(absl::Duration, lockout_window, absl::Minutes(15),
          "Failures count when within this of each other; also the longest lock");
ABSL_FLAG(int, max_concurrent_password_hashes, 4,
          "Argon2id hashes at once (64 MiB each); further logins queue briefly or are shed "
          "with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_queued_password_hashes, 16,
          "Logins waiting (at most 2 s) for a hash slot; beyond: RESOURCE_EXHAUSTED at once");
ABSL_FLAG(int, max_logins_per_source, 4,
          "Logins running or waiting at once from one client address");
ABSL_FLAG(std::string, totp_issuer, "jit-access", "Issuer shown by authenticator apps");

namespace jit::auth {
namespace {

absl::Status Named(absl::string_view flag, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(flag, ": ", s.message()));
}

}  // namespace

namespace internal {

// Every object of the running service, declared in dependency order, so they are destroyed
// in reverse: the maintenance thread first, the stores last.
struct AuthAppParts {
  AuthAppParts(server::ServiceRuntime& runtime, const AuthApp::Config& config)
      : runtime(runtime),
        config(config),
        policy_peer("policy", runtime.config.peers.policy, runtime.tls, runtime.config.rpc_timeout),
        policy(&policy_peer),
        permissions(&policy),
        metrics(runtime.registry),
        hash_limiter({.limit = config.max_concurrent_password_hashes,
                      .max_waiters = config.max_queued_password_hashes,
                      .max_wait = absl::Seconds(2),
                      .max_per_source = config.max_logins_per_source}) {}

  server::ServiceRuntime& runtime;
  const AuthApp::Config config;
  client::PeerClient policy_peer;
  policy::GrpcPolicyClient policy;
  policy::PolicyPermissionChecker permissions;
  AuthMetrics metrics;
  ConcurrencyLimiter hash_limiter;
  std::unique_ptr<crypto::KeyEncryptionKey> kek;
  std::unique_ptr<PostgresUserStore> users;
  std::unique_ptr<PostgresSessionStore> sessions_store;
  std::unique_ptr<PostgresSigningKeyStore> keys_store;
  std::unique_ptr<PostgresLoginAttemptStore> attempts;
  std::unique_ptr<PostgresTotpStepStore> steps;
  std::unique_ptr<oidc::OidcStateSealer> oidc_states;
  std::unique_ptr<PostgresOidcUsedStateStore> oidc_used_states;
  std::unique_ptr<audit::PostgresAuditOutbox> audit;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<LoginThrottle> throttle;
  std::unique_ptr<TotpVerifier> totp;
  std::unique_ptr<UserStoreCredentials> credentials;
  std::unique_ptr<LocalAuthenticator> local;
  std::unique_ptr<SigningKeyRing> keys;
  std::unique_ptr<SessionManager> sessions;
  std::vector<std::unique_ptr<http::CurlHttpClient>> http_clients;
  std::map<std::string, std::unique_ptr<oidc::OidcConnector>> connectors;
  std::unique_ptr<LoginManager> logins;
  std::unique_ptr<UserAdministration> administration;
  std::unique_ptr<AuthServiceImpl> service;
  std::unique_ptr<AuthServiceImpl> lane_service;
  std::unique_ptr<Maintenance> maintenance;
  std::unique_ptr<audit::ServiceOutboxRelay> audit_relay;  // last: stops first
};

}  // namespace internal

namespace {

using internal::AuthAppParts;

absl::Status CreateConnectors(AuthAppParts& p) {
  if (p.config.oidc_connectors_file.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<oidc::OidcConnectorConfig> configs,
                   LoadOidcConnectors(p.config.oidc_connectors_file));
  for (oidc::OidcConnectorConfig& c : configs) {
    ASSIGN_OR_RETURN(std::unique_ptr<http::CurlHttpClient> http,
                     http::CurlHttpClient::Create({.allow_loopback_http = c.allow_loopback_http}));
    if (c.allow_loopback_http) {
      spdlog::warn("oidc connector {} may use plain http to 127.0.0.1 (tests only)", c.name);
    }
    const std::string name = c.name;
    ASSIGN_OR_RETURN(std::unique_ptr<oidc::OidcConnector> connector,
                     oidc::OidcConnector::Create(std::move(c), http.get(), p.oidc_states.get(),
                                                 p.oidc_used_states.get(), &p.runtime.clock));
    p.http_clients.push_back(std::move(http));
    p.connectors[name] = std::move(connector);
  }
  std::vector<std::string> names;
  for (const auto& [name, c] : p.connectors) names.push_back(name);
  spdlog::info("single sign-on connectors: {}", absl::StrJoin(names, ", "));
  return absl::OkStatus();
}

absl::Status CreateBootstrapUsers(AuthAppParts& p) {
  if (p.config.bootstrap_users_file.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<BootstrapUser> users,
                   LoadBootstrapUsers(p.config.bootstrap_users_file));
  ASSIGN_OR_RETURN(std::vector<std::string> created, ApplyBootstrapUsers(users, *p.administration));
  spdlog::info("bootstrap users: {} listed, created: [{}]", users.size(),
               absl::StrJoin(created, ", "));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Maintenance>> StartMaintenance(AuthAppParts& p) {
  const absl::Duration retention = AuthApp::SigningKeyRetention(p.config);
  const absl::Duration window = p.config.lockout_window;
  PostgresSessionStore* sessions = p.sessions_store.get();
  PostgresLoginAttemptStore* attempts = p.attempts.get();
  PostgresSigningKeyStore* keys = p.keys_store.get();
  std::vector<CleanupStep> steps = {
      {"sessions",
       [sessions](absl::Time now) {
         // Kept an hour past expiry: verifiers drop revocations a little after exp.
         return sessions->DeleteExpired(now - absl::Hours(1));
       }},
      {"login_failures",
       [attempts, window](absl::Time now) { return attempts->DeleteStale(now - window); }},
      UsedOidcStatesCleanup(p.oidc_used_states.get()),
      {"signing_keys",
       [keys, retention](absl::Time now) { return keys->DeleteRetired(now, retention); }},
  };
  auto maintenance = std::make_unique<Maintenance>(MaintenanceOptions{}, p.sessions_store.get(),
                                                   &p.metrics, std::move(steps), &p.runtime.clock);
  RETURN_IF_ERROR(maintenance->Start());
  return maintenance;
}

}  // namespace

AuthApp::Config AuthApp::ConfigFromFlags() {
  return {.key_encryption_key_file = absl::GetFlag(FLAGS_key_encryption_key_file),
          .session_ttl = absl::GetFlag(FLAGS_session_ttl),
          .max_session_ttl = absl::GetFlag(FLAGS_max_session_ttl),
          .signing_key_publish_delay = absl::GetFlag(FLAGS_signing_key_publish_delay),
          .bootstrap_users_file = absl::GetFlag(FLAGS_bootstrap_users_file),
          .oidc_connectors_file = absl::GetFlag(FLAGS_oidc_connectors_file),
          .lockout_max_failures = absl::GetFlag(FLAGS_lockout_max_failures),
          .lockout_window = absl::GetFlag(FLAGS_lockout_window),
          .max_concurrent_password_hashes = absl::GetFlag(FLAGS_max_concurrent_password_hashes),
          .max_queued_password_hashes = absl::GetFlag(FLAGS_max_queued_password_hashes),
          .max_logins_per_source = absl::GetFlag(FLAGS_max_logins_per_source),
          .totp_issuer = absl::GetFlag(FLAGS_totp_issuer)};
}

absl::StatusOr<std::unique_ptr<AuthApp>> AuthApp::Create(server::ServiceRuntime& runtime,
                                                         const Config& config) {
  RETURN_IF_ERROR(Validate(config));
  auto p = std::make_unique<AuthAppParts>(runtime, config);
  const Clock* clock = &runtime.clock;
  db::PgPool* pool = &runtime.pool;
  absl::StatusOr<std::unique_ptr<crypto::KeyEncryptionKey>> kek =
      crypto::KeyEncryptionKey::FromFile(config.key_encryption_key_file);
  RETURN_IF_ERROR(Named("key_encryption_key_file", kek.status()));
  p->kek = *std::move(kek);
  spdlog::info("key-encryption key id={}", p->kek->id_hex());

  p->users = std::make_unique<PostgresUserStore>(pool, p->kek.get());
  p->sessions_store = std::make_unique<PostgresSessionStore>(pool);
  p->keys_store = std::make_unique<PostgresSigningKeyStore>(pool, p->kek.get());
  p->attempts = std::make_unique<PostgresLoginAttemptStore>(pool);
  p->steps = std::make_unique<PostgresTotpStepStore>(pool);
  p->oidc_states = std::make_unique<oidc::OidcStateSealer>(p->kek.get());
  p->oidc_used_states = std::make_unique<PostgresOidcUsedStateStore>(pool);
  p->audit = std::make_unique<audit::PostgresAuditOutbox>(pool, kAuthService);

  ASSIGN_OR_RETURN(p->hasher, PasswordHasher::Create());
  ASSIGN_OR_RETURN(p->throttle, LoginThrottle::Create({.max_failures = config.lockout_max_failures,
                                                       .window = config.lockout_window,
                                                       .max_lockout = config.lockout_window},
                                                      p->attempts.get(), clock));
  p->totp = std::make_unique<TotpVerifier>(clock, p->steps.get());
  p->credentials = std::make_unique<UserStoreCredentials>(p->users.get());
  p->local = std::make_unique<LocalAuthenticator>(p->credentials.get(), p->hasher.get(),
                                                  p->throttle.get(), p->totp.get());

  ASSIGN_OR_RETURN(p->keys,
                   SigningKeyRing::Create({.issuer = runtime.config.token_issuer,
                                           .audience = runtime.config.token_audience,
                                           .publish_delay = config.signing_key_publish_delay,
                                           .retention = SigningKeyRetention(config)},
                                          p->keys_store.get(), clock));
  RETURN_IF_ERROR(p->keys->EnsureKey());
  RETURN_IF_ERROR(p->keys->CurrentIssuer().status());  // the key unseals with this KEK
  ASSIGN_OR_RETURN(
      p->sessions,
      SessionManager::Create({.default_ttl = config.session_ttl, .max_ttl = config.max_session_ttl},
                             p->sessions_store.get(), p->keys.get(), &p->permissions, clock));
  RETURN_IF_ERROR(Named("oidc_connectors_file", CreateConnectors(*p)));
  std::map<std::string, oidc::OidcConnector*> connectors;
  for (auto& [name, connector] : p->connectors) connectors[name] = connector.get();
  ASSIGN_OR_RETURN(p->logins, LoginManager::Create({.local = p->local.get(),
                                                    .users = p->users.get(),
                                                    .hasher = p->hasher.get(),
                                                    .throttle = p->throttle.get(),
                                                    .sessions = p->sessions.get(),
                                                    .audit = p->audit.get(),
                                                    .metrics = &p->metrics,
                                                    .hash_limiter = &p->hash_limiter,
                                                    .connectors = std::move(connectors),
                                                    .oidc_states = p->oidc_states.get(),
                                                    .clock = clock}));
  ASSIGN_OR_RETURN(p->administration,
                   UserAdministration::Create({.totp_issuer = config.totp_issuer},
                                              {.users = p->users.get(),
                                               .attempts = p->attempts.get(),
                                               .throttle = p->throttle.get(),
                                               .hasher = p->hasher.get(),
                                               .totp = p->totp.get(),
                                               .permissions = &p->permissions,
                                               .hash_limiter = &p->hash_limiter,
                                               .audit = p->audit.get(),
                                               .clock = clock}));
  RETURN_IF_ERROR(Named("bootstrap_users_file", CreateBootstrapUsers(*p)));
  const AuthServiceParts service_parts{.authorizer = &runtime.authorizer,
                                       .logins = p->logins.get(),
                                       .sessions = p->sessions.get(),
                                       .users = p->administration.get(),
                                       .keys = p->keys.get(),
                                       .permissions = &p->permissions};
  p->service = std::make_unique<AuthServiceImpl>(service_parts);
  // The same RPCs over the same objects for the service lane (--service_listen_addr).
  p->lane_service = std::make_unique<AuthServiceImpl>(service_parts);
  ASSIGN_OR_RETURN(p->maintenance, StartMaintenance(*p));
  ASSIGN_OR_RETURN(p->audit_relay, audit::ServiceOutboxRelay::Start(runtime, "auth"));
  return absl::WrapUnique(new AuthApp(std::move(p)));
}

AuthApp::AuthApp(std::unique_ptr<internal::AuthAppParts> parts) : parts_(std::move(parts)) {}

AuthApp::~AuthApp() = default;

std::vector<server::RegisteredService> AuthApp::Services() {
  return {server::RegisteredService::Of<v1::AuthService>(parts_->service.get())};
}

std::vector<server::RegisteredService> AuthApp::ServiceLaneServices() {
  return {server::RegisteredService::Of<v1::AuthService>(parts_->lane_service.get())};
}

absl::Status AuthApp::Validate(const Config& c) {
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
  if (c.max_queued_password_hashes < 0 || c.max_queued_password_hashes > 1024) {
    return absl::InvalidArgumentError("max_queued_password_hashes: must be between 0 and 1024");
  }
  if (c.max_logins_per_source < 1 || c.max_logins_per_source > 1024) {
    return absl::InvalidArgumentError("max_logins_per_source: must be between 1 and 1024");
  }
  if (c.totp_issuer.empty() || c.totp_issuer.size() > 64 ||
      c.totp_issuer.find(':') != std::string::npos) {
    return absl::InvalidArgumentError("totp_issuer: 1-64 characters without ':'");
  }
  // The files the flags name, read as Create will read them.
  RETURN_IF_ERROR(Named("key_encryption_key_file",
                        crypto::KeyEncryptionKey::FromFile(c.key_encryption_key_file).status()));
  if (!c.oidc_connectors_file.empty()) {
    RETURN_IF_ERROR(
        Named("oidc_connectors_file", LoadOidcConnectors(c.oidc_connectors_file).status()));
  }
  if (!c.bootstrap_users_file.empty()) {
    RETURN_IF_ERROR(
        Named("bootstrap_users_file", LoadBootstrapUsers(c.bootstrap_users_file).status()));
  }
  return absl::OkStatus();
}

absl::Duration AuthApp::SigningKeyRetention(const Config& config) {
  return std::max(config.max_session_ttl + absl::Minutes(5), absl::Hours(1));
}

absl::StatusOr<TokenSources> AuthApp::OwnTokenSources(const Config& config, db::PgPool& pool,
                                                      const Clock& clock) {
  return jit::auth::TokenSources{.jwks = std::make_unique<StoredJwksSource>(
                                     std::make_shared<PostgresSigningKeyStore>(&pool, nullptr),
                                     &clock, SigningKeyRetention(config)),
                                 .revocations = std::make_unique<StoredRevocationFeed>(
                                     std::make_shared<PostgresSessionStore>(&pool), &clock)};
}

}  // namespace jit::auth
