// jit-auth: who you are. Local users with TOTP, OIDC single sign-on, session tokens, the
// keys and revocations every service verifies tokens with (services/auth/README.md).
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "common/server/service_main.h"
#include "services/auth/auth_app.h"
#include "services/auth/migrations.h"
#include "services/auth/service_name.h"

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
          "Argon2id hashes at once (64 MiB each); further logins wait, then get UNAVAILABLE");
ABSL_FLAG(std::string, totp_issuer, "jit-access", "Issuer shown by authenticator apps");

namespace {

jit::auth::AuthConfig AuthConfigFromFlags() {
  return {.key_encryption_key_file = absl::GetFlag(FLAGS_key_encryption_key_file),
          .session_ttl = absl::GetFlag(FLAGS_session_ttl),
          .max_session_ttl = absl::GetFlag(FLAGS_max_session_ttl),
          .signing_key_publish_delay = absl::GetFlag(FLAGS_signing_key_publish_delay),
          .bootstrap_users_file = absl::GetFlag(FLAGS_bootstrap_users_file),
          .oidc_connectors_file = absl::GetFlag(FLAGS_oidc_connectors_file),
          .lockout_max_failures = absl::GetFlag(FLAGS_lockout_max_failures),
          .lockout_window = absl::GetFlag(FLAGS_lockout_window),
          .max_concurrent_password_hashes = absl::GetFlag(FLAGS_max_concurrent_password_hashes),
          .totp_issuer = absl::GetFlag(FLAGS_totp_issuer)};
}

// Flags are parsed inside RunServiceMain; auth's own are checked when first needed, and a
// bad one ends the process with exit code 2 naming it.
jit::auth::AuthConfig CheckedConfig() {
  jit::auth::AuthConfig config = AuthConfigFromFlags();
  if (absl::Status s = jit::auth::ValidateAuthConfig(config); !s.ok()) {
    jit::config::ExitWithConfigError(s);
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  return jit::server::RunServiceMain(
      argc, argv,
      {.name = jit::auth::kAuthService,
       .ports = jit::server::kAuthPorts,
       .migrations = jit::auth::Migrations(),
       .build =
           [](jit::server::ServiceRuntime& runtime) {
             return jit::auth::BuildAuthApp(runtime, CheckedConfig());
           },
       .token_sources =
           [](const jit::server::ServiceConfig&, jit::db::PgPool& pool, const jit::Clock& clock) {
             return jit::auth::StoredTokenSources(CheckedConfig(), pool, clock);
           }});
}
