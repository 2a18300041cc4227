#include "common/server/service_main.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/auth/remote_token_sources.h"
#include "common/client/peer.h"
#include "common/config/flags.h"
#include "common/db/conninfo.h"
#include "common/secret_file.h"
#include "common/server/health_server.h"
#include "common/server/library_logs.h"
#include "common/server/metrics.h"
#include "common/server/process_settings.h"
#include "common/server/signals.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen_addr, "",
          "gRPC listen address host:port (default 127.0.0.1:<service port>)");
ABSL_FLAG(std::string, metrics_addr, "",
          "Prometheus /metrics listen address host:port (default 127.0.0.1:<metrics port>)");
ABSL_FLAG(std::string, health_addr, "",
          "Plaintext listen address host:port answering only grpc.health.v1 (for Kubernetes "
          "gRPC probes); empty = off");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain of this service (required)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of this service (required)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle that peers' and clients' certificates must chain to (required)");
ABSL_FLAG(std::string, db_url, "",
          "PostgreSQL URL without password, e.g. postgresql://auth@db:5432/jit (required)");
ABSL_FLAG(std::string, db_password_file, "", "File holding the PostgreSQL password");
ABSL_FLAG(int, db_pool_size, 8, "PostgreSQL connections per replica");
ABSL_FLAG(absl::Duration, db_connect_timeout, absl::Seconds(5),
          "Limit for opening one PostgreSQL connection");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error");
ABSL_FLAG(std::string, log_format, "text", "text or json");
ABSL_FLAG(std::string, log_file, "", "Append logs to this file instead of stderr");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM, how long in-flight RPCs may finish before being cancelled");
ABSL_FLAG(int, max_threads, 256, "Threads serving RPCs (beyond: RESOURCE_EXHAUSTED)");
ABSL_FLAG(std::string, service_listen_addr, "",
          "Service lane: a second gRPC listen address host:port for calls from other services "
          "(client certificate required), with its own threads; empty = off (auth only)");
ABSL_FLAG(int, service_max_threads, 32,
          "Threads serving RPCs on the service lane (--service_listen_addr)");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(5), "Deadline of calls to other services");
ABSL_FLAG(std::string, auth_addr, "localhost:7101",
          "auth service host:port (replicas: host:port,host:port or dns:///host:port, called "
          "round robin; the same for every --<peer>_addr)");
ABSL_FLAG(std::string, ca_addr, "localhost:7102", "ca service host:port");
ABSL_FLAG(std::string, requests_addr, "localhost:7103", "requests service host:port");
ABSL_FLAG(std::string, policy_addr, "localhost:7104", "policy service host:port");
ABSL_FLAG(std::string, audit_addr, "localhost:7105",
          "audit service host:port; empty = no outbox relay (events wait in the outbox)");
ABSL_FLAG(bool, migrate_only, false,
          "Apply this service's schema migrations, then exit 0 without serving (e.g. as the "
          "schema's owner, before the service runs as a role with fewer rights)");
ABSL_FLAG(std::vector<std::string>, revocation_strict_roles, {},
          "Roles sensitive enough for strict revocation whatever --revocation_mode says: a "
          "session holding one is refused once the revocation list is 5 s old (comma list)");
ABSL_FLAG(std::string, token_issuer, "jit-access", "Issuer (iss) of accepted session tokens");
ABSL_FLAG(std::string, token_audience, "jit-access",
          "Audience (aud) accepted session tokens must name");
ABSL_FLAG(std::string, revocation_mode, "best_effort",
          "While auth's revocation feed fails: strict (refuse session tokens after 5 s) or "
          "best_effort (keep the last known list until --revocation_max_staleness)");
ABSL_FLAG(absl::Duration, revocation_max_staleness, absl::Minutes(1),
          "best_effort: age of the revocation list beyond which session tokens are refused");

namespace jit::server {
namespace {

absl::Status ValidateHostPort(absl::string_view flag, const std::string& value) {
  const size_t colon = value.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": '", value, "' is not host:port"));
  }
  return absl::OkStatus();
}

// A peer address (common/client/peer.h): "host:port", several separated by commas (the
// replicas, called round robin) or "dns:///host:port".
absl::Status ValidatePeerAddress(absl::string_view flag, const std::string& value) {
  if (absl::StartsWith(value, "dns:")) {
    const absl::string_view rest = absl::StripPrefix(absl::StripPrefix(value, "dns:"), "///");
    return ValidateHostPort(flag, std::string(rest));
  }
  for (absl::string_view entry : absl::StrSplit(value, ',')) {
    RETURN_IF_ERROR(ValidateHostPort(flag, std::string(absl::StripAsciiWhitespace(entry))));
  }
  return absl::OkStatus();
}

// Durations are bounded above too: "inf" parses, and a deadline of now + inf (or of
// centuries) overflows into the past.
absl::Status DurationBetween(absl::string_view flag, absl::Duration d, absl::Duration min,
                             absl::Duration max) {
  if (d < min || d > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": must be between ", absl::FormatDuration(min), " and ", absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

// Prints "jit-<name>: <message>" as the one line a failed start leaves on stderr, and logs it.
int FailStart(const std::string& name, const absl::Status& status) {
  spdlog::critical("start-up failed: {}", std::string(status.message()));
  std::fprintf(stderr, "jit-%s: %s\n", name.c_str(), std::string(status.message()).c_str());
  std::fflush(stderr);
  return 1;
}

absl::StatusOr<db::PgPoolOptions> PoolOptions(const ServiceConfig& config) {
  ASSIGN_OR_RETURN(db::Conninfo info, db::Conninfo::Parse(config.db_url));
  if (info.HasPassword()) {
    return absl::InvalidArgumentError(
        "db_url: contains a password; put it in the file named by --db_password_file");
  }
  if (!config.db_password_file.empty()) {
    // A secret: mode 0600 or stricter, not empty, never copied through streams.
    absl::StatusOr<SecretString> password = ReadSecretFile(config.db_password_file);
    if (!password.ok()) {
      return absl::Status(password.status().code(),
                          absl::StrCat("db_password_file: ", password.status().message()));
    }
    info.Set("password", password->Reveal());
  }
  db::PgPoolOptions options;
  options.conninfo = info.ToConnectionString();
  options.size = config.db_pool_size;
  options.connect_timeout = config.db_connect_timeout;
  options.application_name = "jit-" + config.name;
  return options;
}

}  // namespace

absl::StatusOr<ServiceConfig> ServiceConfigFromFlags(const std::string& name, ServicePorts ports) {
  ServiceConfig c;
  c.name = name;
  c.listen_addr = absl::GetFlag(FLAGS_listen_addr);
  if (c.listen_addr.empty()) c.listen_addr = absl::StrCat("127.0.0.1:", ports.grpc);
  c.metrics_addr = absl::GetFlag(FLAGS_metrics_addr);
  if (c.metrics_addr.empty()) c.metrics_addr = absl::StrCat("127.0.0.1:", ports.metrics);
  c.health_addr = absl::GetFlag(FLAGS_health_addr);
  c.tls = {.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
           .key_file = absl::GetFlag(FLAGS_tls_key_file),
           .ca_file = absl::GetFlag(FLAGS_tls_ca_file)};
  c.db_url = absl::GetFlag(FLAGS_db_url);
  c.db_password_file = absl::GetFlag(FLAGS_db_password_file);
  c.db_pool_size = absl::GetFlag(FLAGS_db_pool_size);
  c.db_connect_timeout = absl::GetFlag(FLAGS_db_connect_timeout);
  c.log = {.service = name,
           .level = absl::GetFlag(FLAGS_log_level),
           .format = absl::GetFlag(FLAGS_log_format),
           .file = absl::GetFlag(FLAGS_log_file)};
  c.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  c.max_threads = absl::GetFlag(FLAGS_max_threads);
  c.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  c.service_listen_addr = absl::GetFlag(FLAGS_service_listen_addr);
  c.service_max_threads = absl::GetFlag(FLAGS_service_max_threads);
  c.peers = {.auth = absl::GetFlag(FLAGS_auth_addr),
             .ca = absl::GetFlag(FLAGS_ca_addr),
             .requests = absl::GetFlag(FLAGS_requests_addr),
             .policy = absl::GetFlag(FLAGS_policy_addr),
             .audit = absl::GetFlag(FLAGS_audit_addr)};
  c.migrate_only = absl::GetFlag(FLAGS_migrate_only);
  c.token_issuer = absl::GetFlag(FLAGS_token_issuer);
  c.token_audience = absl::GetFlag(FLAGS_token_audience);
  ASSIGN_OR_RETURN(c.revocation_mode,
                   auth::RevocationModeFromName(absl::GetFlag(FLAGS_revocation_mode)));
  c.revocation_max_staleness = absl::GetFlag(FLAGS_revocation_max_staleness);
  for (const std::string& role : absl::GetFlag(FLAGS_revocation_strict_roles)) {
    if (!role.empty()) c.revocation_strict_roles.push_back(role);
  }
  RETURN_IF_ERROR(DurationBetween("revocation_max_staleness", c.revocation_max_staleness,
                                  auth::kStrictStaleness, absl::Hours(1)));

  RETURN_IF_ERROR(ValidateHostPort("listen_addr", c.listen_addr));
  RETURN_IF_ERROR(ValidateHostPort("metrics_addr", c.metrics_addr));
  if (!c.health_addr.empty()) RETURN_IF_ERROR(ValidateHostPort("health_addr", c.health_addr));
  for (const auto& [flag, value] :
       {std::pair<absl::string_view, const std::string&>{"tls_cert_file", c.tls.cert_file},
        {"tls_key_file", c.tls.key_file},
        {"tls_ca_file", c.tls.ca_file},
        {"db_url", c.db_url}}) {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": must be set"));
  }
  if (c.db_pool_size < 1 || c.db_pool_size > 1000) {
    return absl::InvalidArgumentError("db_pool_size: must be between 1 and 1000");
  }
  if (c.max_threads < 2 || c.max_threads > 10000) {
    return absl::InvalidArgumentError("max_threads: must be between 2 and 10000");
  }
  if (!c.service_listen_addr.empty()) {
    RETURN_IF_ERROR(ValidateHostPort("service_listen_addr", c.service_listen_addr));
  }
  if (c.service_max_threads < 2 || c.service_max_threads > 10000) {
    return absl::InvalidArgumentError("service_max_threads: must be between 2 and 10000");
  }
  RETURN_IF_ERROR(DurationBetween("db_connect_timeout", c.db_connect_timeout, absl::Milliseconds(1),
                                  absl::Minutes(10)));
  RETURN_IF_ERROR(
      DurationBetween("rpc_timeout", c.rpc_timeout, absl::Milliseconds(1), absl::Minutes(10)));
  RETURN_IF_ERROR(
      DurationBetween("drain_timeout", c.drain_timeout, absl::ZeroDuration(), absl::Hours(1)));
  RETURN_IF_ERROR(ValidatePeerAddress("auth_addr", c.peers.auth));
  RETURN_IF_ERROR(ValidatePeerAddress("ca_addr", c.peers.ca));
  RETURN_IF_ERROR(ValidatePeerAddress("requests_addr", c.peers.requests));
  RETURN_IF_ERROR(ValidatePeerAddress("policy_addr", c.peers.policy));
  // Empty: no audit sink; the outbox relay is off and events wait in the outbox.
  if (!c.peers.audit.empty()) RETURN_IF_ERROR(ValidatePeerAddress("audit_addr", c.peers.audit));
  if (c.token_issuer.empty()) return absl::InvalidArgumentError("token_issuer: must be set");
  if (c.token_audience.empty()) {
    return absl::InvalidArgumentError("token_audience: must be set");
  }
  return c;
}

int RunServiceMain(int argc, char** argv, const ServiceDefinition& definition) {
  ApplyServiceProcessSettings();
  BlockTerminationSignals();
  config::ParseFlagsOrExit(
      argc, argv,
      absl::StrCat("jit-", definition.name, ": the jit-access ", definition.name,
                   " service. Every flag --x may also be set as environment variable JIT_X."));
  absl::StatusOr<ServiceConfig> config = ServiceConfigFromFlags(definition.name, definition.ports);
  if (!config.ok()) config::ExitWithConfigError(config.status());
  if (definition.configure) {
    if (absl::Status s = definition.configure(); !s.ok()) config::ExitWithConfigError(s);
  }
  if (absl::Status s = InitLogging(config->log); !s.ok()) config::ExitWithConfigError(s);
  RouteLibraryLogs();

  absl::StatusOr<TlsMaterial> tls = LoadTlsMaterial(config->tls);
  if (!tls.ok()) config::ExitWithConfigError(tls.status());
  absl::StatusOr<db::PgPoolOptions> pool_options = PoolOptions(*config);
  if (!pool_options.ok()) config::ExitWithConfigError(pool_options.status());

  absl::StatusOr<std::unique_ptr<db::PgPool>> pool = db::PgPool::Create(*pool_options);
  if (!pool.ok()) {
    return FailStart(
        definition.name,
        absl::Status(pool.status().code(), absl::StrCat("database: ", pool.status().message())));
  }
  spdlog::info("connected to PostgreSQL {}", (*pool)->Describe());
  if (absl::Status s = db::ApplyMigrations(**pool, definition.name, definition.migrations);
      !s.ok()) {
    return FailStart(definition.name,
                     absl::Status(s.code(), absl::StrCat("migrations: ", s.message())));
  }
  if (config->migrate_only) {
    spdlog::info("migrations applied; --migrate_only: exiting");
    return 0;
  }

  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsExposer>> exposer =
      MetricsExposer::Create(config->metrics_addr, registry);
  if (!exposer.ok()) return FailStart(definition.name, exposer.status());
  GrpcServerMetrics metrics(definition.name, *registry, RealClock::Get());

  // Authentication: session tokens (keys and revocations from auth, or the service's own
  // sources) and service certificates, checked against the project's method table.
  client::PeerClient auth_peer("auth", config->peers.auth, *tls, config->rpc_timeout);
  absl::StatusOr<auth::TokenSources> sources =
      definition.token_sources
          ? definition.token_sources(*config, **pool, RealClock::Get())
          : absl::StatusOr<auth::TokenSources>(auth::TokenSources{
                .jwks = std::make_unique<auth::RemoteJwksSource>(&auth_peer),
                .revocations = std::make_unique<auth::RemoteRevocationFeed>(&auth_peer)});
  if (!sources.ok()) return FailStart(definition.name, sources.status());
  absl::StatusOr<std::unique_ptr<auth::ServiceAuth>> service_auth =
      auth::ServiceAuth::Create({.token_issuer = config->token_issuer,
                                 .token_audience = config->token_audience,
                                 .ca_bundle_pem = tls->ca_pem,
                                 .table = &auth::JitMethodTable(),
                                 .revocation_mode = config->revocation_mode,
                                 .revocation_max_staleness = config->revocation_max_staleness,
                                 .revocation_strict_roles = config->revocation_strict_roles,
                                 .registry = registry.get(),
                                 .metrics_service = definition.name},
                                *std::move(sources), &RealClock::Get());
  if (!service_auth.ok()) return FailStart(definition.name, service_auth.status());

  ServiceRuntime runtime{.config = *config,
                         .pool = **pool,
                         .clock = RealClock::Get(),
                         .registry = *registry,
                         .tls = *tls,
                         .authorizer = (*service_auth)->authorizer()};
  if (absl::Status s = (*service_auth)->StartBackgroundRefresh(); !s.ok()) {
    return FailStart(definition.name, s);
  }
  absl::StatusOr<std::unique_ptr<ServiceApp>> app = definition.build(runtime);
  if (!app.ok()) return FailStart(definition.name, app.status());

  GrpcServerOptions options{
      .service_name = definition.name,
      .listen_address = config->listen_addr,
      .tls = *tls,
      .max_threads = config->max_threads,
      .auth_processor =
          (*service_auth)
              ->MetadataProcessor([&metrics](std::string_view method, grpc::StatusCode code,
                                             absl::Duration latency) {
                // Refused at the gate: no interceptor sees the call.
                metrics.RecordStarted(method);
                metrics.RecordHandled(method, code, latency);
              })};
  // The service lane first: a flood at the public listener must find it already serving.
  std::unique_ptr<GrpcServer> lane;
  if (!config->service_listen_addr.empty()) {
    std::vector<RegisteredService> lane_services = (*app)->ServiceLaneServices();
    if (lane_services.empty()) {
      return FailStart(definition.name, absl::InvalidArgumentError(absl::StrCat(
                                            "service_listen_addr: jit-", definition.name,
                                            " has no service lane (only auth offers one)")));
    }
    GrpcServerOptions lane_options = options;
    lane_options.listen_address = config->service_listen_addr;
    lane_options.max_threads = config->service_max_threads;
    lane_options.require_client_certificate = true;
    lane_options.listen_flag = "service_listen_addr";
    absl::StatusOr<std::unique_ptr<GrpcServer>> started =
        GrpcServer::Start(lane_options, lane_services, &metrics, (*app)->Interceptors());
    if (!started.ok()) return FailStart(definition.name, started.status());
    lane = *std::move(started);
    spdlog::info("service lane (client certificate required) on {} (port {})",
                 config->service_listen_addr, lane->port());
  }
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(options, (*app)->Services(), &metrics, (*app)->Interceptors());
  if (!server.ok()) return FailStart(definition.name, server.status());
  spdlog::info("serving jit.{}.v1 on {} (port {}), metrics on {}", definition.name,
               config->listen_addr, (*server)->port(), config->metrics_addr);
  std::unique_ptr<HealthServer> health;
  if (!config->health_addr.empty()) {
    absl::StatusOr<std::unique_ptr<HealthServer>> started =
        HealthServer::Start(config->health_addr);
    if (!started.ok()) return FailStart(definition.name, started.status());
    health = *std::move(started);
    health->SetServing(true);
    spdlog::info("health (plaintext, grpc.health.v1 only) on {}", config->health_addr);
  }

  const int sig = WaitForTerminationSignal();
  spdlog::info("signal {} received; draining for up to {}", sig,
               absl::FormatDuration(config->drain_timeout));
  if (health != nullptr) health->SetServing(false);  // readiness fails while draining
  (*server)->Shutdown(config->drain_timeout);
  if (lane != nullptr) lane->Shutdown(config->drain_timeout);
  health.reset();
  server->reset();
  lane.reset();
  app->reset();
  service_auth->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace jit::server
