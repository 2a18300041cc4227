// The auth service's objects, wired from its configuration: PostgreSQL stores, the signing
// key ring, sessions, logins (local and OIDC), user administration, the policy client for
// admin verbs, metrics, bootstrap users, the maintenance thread and the gRPC adapter.
// main.cc reads the flags into AuthConfig and hands them here.
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

struct AuthConfig {
  std::string key_encryption_key_file;  // required
  absl::Duration session_ttl = absl::Hours(8);
  absl::Duration max_session_ttl = absl::Hours(24);
  absl::Duration signing_key_publish_delay = absl::Seconds(10);
  std::string bootstrap_users_file;  // "" = none
  std::string oidc_connectors_file;  // "" = no single sign-on
  int lockout_max_failures = 5;
  absl::Duration lockout_window = absl::Minutes(15);
  int max_concurrent_password_hashes = 4;
  std::string totp_issuer = "jit-access";
};

// INVALID_ARGUMENT naming the flag for a value out of range.
absl::Status ValidateAuthConfig(const AuthConfig& config);

// How long a superseded signing key stays published: the longest token lifetime plus the
// verifiers' clock skew, at least 1 h.
absl::Duration SigningKeyRetention(const AuthConfig& config);

// Auth's own token sources (its tables, not its RPCs).
absl::StatusOr<TokenSources> StoredTokenSources(const AuthConfig& config, db::PgPool& pool,
                                                const Clock& clock);

// Builds the service. Configuration errors (unreadable KEK, bad connector file, bad bootstrap
// users) come back as INVALID_ARGUMENT / FAILED_PRECONDITION naming the flag.
absl::StatusOr<std::unique_ptr<server::ServiceApp>> BuildAuthApp(server::ServiceRuntime& runtime,
                                                                 const AuthConfig& config);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_AUTH_APP_H_
