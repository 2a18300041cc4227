// AuthApp: the auth service's objects, wired from its configuration. PostgreSQL stores, the
// signing key ring, sessions, logins (local and OIDC), user administration, the policy
// client for admin verbs, metrics, bootstrap users, the maintenance thread, and the gRPC
// adapter (auth_service_impl.h: every RPC and the logic it runs).
//
// RunServiceApp (common/server/service_main.h) drives it: ConfigFromFlags and Validate right
// after flag parsing, before any connection (a bad value or an unusable file named by a
// flag exits 2 naming the flag), then Create with the running service's runtime.
// Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_AUTH_AUTH_APP_H_
#define JIT_SERVICES_AUTH_AUTH_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/service_auth.h"
#include "common/server/service_main.h"

namespace jit::auth {
namespace internal {
struct AuthAppParts;  // every object of the service (auth_app.cc)
}  // namespace internal

class AuthApp final : public server::ServiceApp {
 public:
  struct Config {
    std::string key_encryption_key_file;  // required
    absl::Duration session_ttl = absl::Hours(8);
    absl::Duration max_session_ttl = absl::Hours(24);
    absl::Duration signing_key_publish_delay = absl::Seconds(10);
    std::string bootstrap_users_file;  // "" = none
    std::string oidc_connectors_file;  // "" = no single sign-on
    int lockout_max_failures = 5;
    absl::Duration lockout_window = absl::Minutes(15);
    int max_concurrent_password_hashes = 4;
    int max_queued_password_hashes = 16;
    int max_logins_per_source = 4;
    std::string totp_issuer = "jit-access";
  };

  // The service's own flags (auth_app.cc).
  static Config ConfigFromFlags();

  // INVALID_ARGUMENT naming the flag for a value out of range; the key-encryption key, the
  // OIDC connectors file and the bootstrap users file must be readable and well-formed
  // (their errors, prefixed with the flag).
  static absl::Status Validate(const Config& config);

  // Builds the service. Errors (a store that cannot be read, ...) end start-up.
  static absl::StatusOr<std::unique_ptr<AuthApp>> Create(server::ServiceRuntime& runtime,
                                                         const Config& config);

  // Auth's own token sources: its tables, not its RPCs.
  static absl::StatusOr<TokenSources> OwnTokenSources(const Config& config, db::PgPool& pool,
                                                      const Clock& clock);

  // How long a superseded signing key stays published: the longest token lifetime plus the
  // verifiers' clock skew, at least 1 h.
  static absl::Duration SigningKeyRetention(const Config& config);

  ~AuthApp() override;
  std::vector<server::RegisteredService> Services() override;
  // The revocation feed, JWKS and every other RPC on the service lane, for the services.
  std::vector<server::RegisteredService> ServiceLaneServices() override;

 private:
  explicit AuthApp(std::unique_ptr<internal::AuthAppParts> parts);

  std::unique_ptr<internal::AuthAppParts> parts_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_AUTH_APP_H_
