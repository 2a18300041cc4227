// One OIDC single sign-on connector: authorization-code flow with PKCE (S256), state and
// nonce, against any standard OpenID provider.
//
//   Begin(redirect_url)  -> authorization URL + state (the CLI opens/prints the URL; the
//                           provider sends the browser to redirect_url?code=..&state=..)
//   Complete(state, code) -> the mapped identity (user name, roles, traits, mfa)
//
// Begin stores nothing: the state it returns is sealed (sealed_state.h) and carries the
// connector, nonce, PKCE verifier, redirect URL and expiry, so any replica can Complete.
// Complete opens it, checks the expiry, refuses a state already used, redeems the code and
// checks the ID token, and only then records the login id as used (OidcUsedStateStore; the
// insert decides between racing completions): a state completes one login. Provider
// metadata is discovered lazily and re-read hourly; the provider's keys live in a JwksCache
// refreshed on an unknown kid. The client secret is a SecretString (read from a file) and is
// never logged. Thread-safe.
#ifndef JIT_SERVICES_AUTH_OIDC_OIDC_CONNECTOR_H_
#define JIT_SERVICES_AUTH_OIDC_OIDC_CONNECTOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/jwks_cache.h"
#include "common/clock.h"
#include "common/http/http_client.h"
#include "common/jwt/jws.h"
#include "common/secret.h"
#include "common/secret_file.h"
#include "jit/common/v1/identity.pb.h"
#include "services/auth/oidc/claims_mapping.h"
#include "services/auth/oidc/discovery.h"
#include "services/auth/oidc/http_jwks_source.h"
#include "services/auth/oidc/sealed_state.h"
#include "services/auth/oidc/state_store.h"

namespace jit::auth::oidc {

enum class ClientAuthMethod { kClientSecretBasic, kClientSecretPost };

struct OidcConnectorConfig {
  std::string name;        // "google" -> auth_method "oidc:google"
  std::string issuer_url;  // exactly as the provider's "issuer"
  std::string client_id;
  SecretString client_secret;  // see ReadSecretFile
  std::vector<std::string> scopes = {"openid", "email", "profile"};
  std::string redirect_url;  // registered with the provider
  ClientAuthMethod client_auth = ClientAuthMethod::kClientSecretBasic;
  // The claim that becomes the jit-access user name. With "email", an explicit
  // "email_verified": false is refused.
  std::string username_claim = "email";
  std::vector<ClaimRoleRule> claims_to_roles;
  std::vector<ClaimTraitRule> claims_to_traits;
  // "amr" values that count as multi-factor (RFC 8176).
  std::vector<std::string> mfa_amr_values = {"mfa", "otp", "hwk", "swk", "sms"};
  std::vector<jwt::JwsAlgorithm> id_token_algorithms = {jwt::JwsAlgorithm::kRS256,
                                                        jwt::JwsAlgorithm::kES256};
  absl::Duration max_clock_skew = absl::Minutes(1);
  absl::Duration login_ttl = absl::Minutes(10);  // default and maximum for Begin
  absl::Duration metadata_max_age = absl::Hours(1);
  // Tests only: provider on http://127.0.0.1 (the HttpClient must allow it as well).
  bool allow_loopback_http = false;
};

// The client secret comes from a file (common/secret_file.h).
using ::jit::ReadSecretFile;

struct OidcLoginStart {
  std::string authorization_url;
  std::string state;
  absl::Time expire_time;
};

struct OidcIdentity {
  std::string connector;
  std::string username;
  std::string subject;  // the provider's "sub"
  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> traits;
  bool mfa = false;

  // KIND_USER identity with auth_method "oidc:<connector>" (no session id yet).
  jit::common::v1::Identity ToIdentity() const;
};

class OidcConnector {
 public:
  // INVALID_ARGUMENT naming the field for a bad configuration (empty client id, a scope list
  // without "openid", a non-https issuer or redirect URL, bad claim rules, ...). No I/O.
  // `http`, `sealer`, `used_states` and `clock` are not owned.
  static absl::StatusOr<std::unique_ptr<OidcConnector>> Create(OidcConnectorConfig config,
                                                               http::HttpClient* http,
                                                               const OidcStateSealer* sealer,
                                                               OidcUsedStateStore* used_states,
                                                               const Clock* clock);

  // `redirect_url`: "" for the configured one, or a loopback URL of a native client
  // (http://127.0.0.1:<port>/<path> or http://[::1]:<port>/<path>, RFC 8252 §7.3); anything
  // else is INVALID_ARGUMENT (also one longer than kMaxRedirectUrlBytes). `ttl` 0 =
  // login_ttl; capped at login_ttl. Writes nothing anywhere.
  absl::StatusOr<OidcLoginStart> Begin(std::string_view redirect_url, absl::Duration ttl);

  // UNAUTHENTICATED for a state that does not open (kUnusableOidcState), belongs to another
  // connector, expired or was used, a code the provider refuses, an invalid ID token or an
  // unusable user name; UNAVAILABLE when the provider or the used-state store cannot be
  // reached. A refusal before the ID token checked out leaves the state usable.
  absl::StatusOr<OidcIdentity> Complete(std::string_view state, std::string_view code);
  // The same with a state already opened by the sealer (to find its connector).
  absl::StatusOr<OidcIdentity> Complete(const OidcLoginState& login, std::string_view code);

  const std::string& name() const { return config_.name; }

 private:
  OidcConnector(OidcConnectorConfig config, ClaimsMapper mapper, http::HttpClient* http,
                const OidcStateSealer* sealer, OidcUsedStateStore* used_states, const Clock* clock);

  struct ProviderState {
    ProviderMetadata metadata;
    // Shared with the next ProviderState when jwks_uri is unchanged, so keys survive a
    // metadata refresh while in-flight logins still use the old state.
    std::shared_ptr<HttpJwksSource> jwks_source;
    std::shared_ptr<JwksCache> jwks;
    absl::Time fetched;
  };
  // The discovered provider (fetched or refreshed as needed).
  absl::StatusOr<std::shared_ptr<ProviderState>> Provider();
  absl::StatusOr<std::string> RedeemCode(const ProviderMetadata& metadata, std::string_view code,
                                         const OidcLoginState& login);

  const OidcConnectorConfig config_;
  const ClaimsMapper mapper_;
  http::HttpClient* const http_;
  const OidcStateSealer* const sealer_;
  OidcUsedStateStore* const used_states_;
  const Clock* const clock_;

  absl::Mutex mu_;
  std::shared_ptr<ProviderState> provider_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_OIDC_CONNECTOR_H_
