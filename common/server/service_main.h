// RunServiceApp: the start-up sequence of the five service binaries, so each main.cc is a
// few lines (RunServiceApp<PolicyApp>(argc, argv, {.name, .ports, .migrations})):
// 1. flags (JIT_* environment overrides) -> ServiceConfig and the service's Config, both
//    validated before anything connects; --help lists every flag with its default,
//    --version prints the version; a bad flag or value exits 2 with one line naming it;
// 2. logging, TLS material, PostgreSQL pool (unreachable database: exit 1, one line);
// 3. the service's schema migrated under an advisory lock; --migrate_only exits 0 here;
// 4. metrics exposer, the service objects (ServiceDefinition::build), the gRPC server;
// 5. on SIGTERM/SIGINT: NOT_SERVING, drain in-flight calls up to --drain_timeout, exit 0.
#ifndef JIT_COMMON_SERVER_SERVICE_MAIN_H_
#define JIT_COMMON_SERVER_SERVICE_MAIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/call_authorizer.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/logging.h"
#include "common/server/grpc_server.h"
#include "common/server/ports.h"
#include "common/server/tls.h"
#include "prometheus/registry.h"

namespace jit::server {

// Where the other services are ("host:port").
struct PeerAddresses {
  std::string auth;
  std::string ca;
  std::string requests;
  std::string policy;
  std::string audit;  // "" = no audit sink: outbox relays are off (common/audit)
};

// Settings every service has (flags in service_main.cc).
struct ServiceConfig {
  std::string name;
  std::string listen_addr;
  std::string metrics_addr;
  std::string health_addr;  // "" = no plaintext health port
  TlsFiles tls;
  std::string db_url;
  std::string db_password_file;
  int db_pool_size = 8;
  absl::Duration db_connect_timeout = absl::Seconds(5);
  LogOptions log;
  absl::Duration drain_timeout = absl::Seconds(10);
  int max_threads = 256;
  // The service lane: a second gRPC listener for calls from other services (client
  // certificate required at the handshake) with its own thread budget, so that floods of
  // anonymous calls at listen_addr (auth's Login) cannot starve service-to-service calls
  // such as the revocation feed. "" = off. Only services whose app offers
  // ServiceLaneServices() (auth) accept it.
  std::string service_listen_addr;
  int service_max_threads = 32;
  absl::Duration rpc_timeout = absl::Seconds(5);
  PeerAddresses peers;
  // Apply the migrations and exit 0 (step 3), without serving.
  bool migrate_only = false;
  // Session tokens must carry this issuer and audience.
  std::string token_issuer = "jit-access";
  std::string token_audience = "jit-access";
  // What token checks do while auth's revocation feed fails (common/auth/revocation.h).
  auth::RevocationMode revocation_mode = auth::RevocationMode::kBestEffort;
  absl::Duration revocation_max_staleness = absl::Minutes(1);
  // Roles whose sessions are refused once the list is 5 s old even in best_effort mode.
  std::vector<std::string> revocation_strict_roles;
};

// Reads the common flags for service `name` with its default ports. INVALID_ARGUMENT names
// the flag of the first bad value.
absl::StatusOr<ServiceConfig> ServiceConfigFromFlags(const std::string& name, ServicePorts ports);

// What a service's objects may use while being built. All references outlive the service.
struct ServiceRuntime {
  const ServiceConfig& config;
  db::PgPool& pool;
  const Clock& clock;
  prometheus::Registry& registry;
  const TlsMaterial& tls;  // This service's identity, for calls to peers.
  // Who is calling: handlers call auth::AuthorizeServerCall(authorizer, context, method).
  // Every call has already passed the same check before its handler runs.
  const auth::CallAuthorizer& authorizer;
};

// The objects of a running service.
class ServiceApp {
 public:
  virtual ~ServiceApp() = default;
  // Services to register; pointers stay owned by the app.
  virtual std::vector<RegisteredService> Services() = 0;
  // Interceptors to install after the metrics interceptor (e.g. authentication).
  virtual std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  Interceptors() {
    return {};
  }
  // Second instances of the services (over the same objects) for the service lane
  // (ServiceConfig::service_listen_addr); a grpc::Service serves one server only. Empty:
  // the service has no lane.
  virtual std::vector<RegisteredService> ServiceLaneServices() { return {}; }
};

struct ServiceDefinition {
  // "auth", "ca", "requests", "policy", "audit": binary name suffix, metrics prefix,
  // PostgreSQL schema.
  std::string name;
  ServicePorts ports;
  // This service's schema migrations, in order.
  std::vector<db::Migration> migrations;
  // Reads and checks the service's own flags, right after the common ones and before
  // anything connects; an error exits 2 with its message (which names the flag).
  std::function<absl::Status()> configure;
  // Builds the service objects; errors end start-up with exit 1.
  std::function<absl::StatusOr<std::unique_ptr<ServiceApp>>(ServiceRuntime&)> build;
  // Where session-token keys and revocations come from. Unset: from the auth service over
  // mTLS (GetJwks, ListRevokedSessions). The auth service reads its own tables instead.
  std::function<absl::StatusOr<auth::TokenSources>(const ServiceConfig&, db::PgPool&, const Clock&)>
      token_sources;
};

// Runs the whole life of a service process; returns the exit code for main().
int RunServiceMain(int argc, char** argv, const ServiceDefinition& definition);

// RunServiceMain for a service's App class (services/<name>/<name>_app.h), which has
//
//   struct Config { ... };                              // its own settings
//   static Config ConfigFromFlags();                    // reads its ABSL_FLAGs
//   static absl::Status Validate(const Config&);        // INVALID_ARGUMENT etc. naming the
//                                                       // flag; may read the files named
//   static absl::StatusOr<std::unique_ptr<App>> Create(ServiceRuntime&, const Config&);
//
// and, for a service that verifies session tokens from its own tables instead of auth's
// RPCs (auth itself),
//   static absl::StatusOr<auth::TokenSources> OwnTokenSources(const Config&, db::PgPool&,
//                                                          const Clock&);
// `definition` gives name, ports and migrations; configure, build and token_sources are
// filled in from App.
template <typename App>
int RunServiceApp(int argc, char** argv, ServiceDefinition definition) {
  auto config = std::make_shared<typename App::Config>();
  definition.configure = [config] {
    *config = App::ConfigFromFlags();
    return App::Validate(*config);
  };
  definition.build =
      [config](ServiceRuntime& runtime) -> absl::StatusOr<std::unique_ptr<ServiceApp>> {
    absl::StatusOr<std::unique_ptr<App>> app = App::Create(runtime, *config);
    if (!app.ok()) return app.status();
    return std::unique_ptr<ServiceApp>(*std::move(app));
  };
  if constexpr (requires(const typename App::Config& c, db::PgPool& pool, const Clock& clock) {
                  App::OwnTokenSources(c, pool, clock);
                }) {
    definition.token_sources = [config](const ServiceConfig&, db::PgPool& pool,
                                        const Clock& clock) {
      return App::OwnTokenSources(*config, pool, clock);
    };
  }
  return RunServiceMain(argc, argv, definition);
}

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_SERVICE_MAIN_H_
