// --oidc_connectors_file: the OIDC single sign-on connectors of this deployment.
//
//   connectors:
//     - name: corp                                  # [a-z][a-z0-9-]*; auth_method oidc:corp
//       issuer: https://login.example.com           # exactly the provider's "issuer"
//       client_id: jit-access
//       client_secret_file: /etc/jit/oidc/corp.secret   # relative to this file; mode 0600
//       scopes: [openid, email, groups]             # default [openid, email, profile]
//       redirect_url: https://jit.example.com/oidc/callback
//       username_claim: email                       # default email
//       client_auth: client_secret_basic            # or client_secret_post
//       login_ttl: 10m                              # how long a started login may take
//       mfa_amr_values: [mfa, otp, hwk]             # amr values that count as MFA
//       claims_to_roles:
//         - {claim: groups, value: admins, roles: [admin]}
//       claims_to_traits:
//         - {claim: email, trait: logins, value: "^([^@]+)@"}
//       insecure_allow_loopback_http: false         # tests only: provider on http://127.0.0.1
//
// Besides the configured redirect URL, BeginOidcLogin accepts the loopback redirect of a
// native client (http://127.0.0.1:<port>/..., RFC 8252), as `jit login --sso` uses.
#ifndef JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_
#define JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/auth/oidc/oidc_connector.h"

namespace jit::auth {

// Parses the text (client secrets are read from their files; relative paths against
// `base_dir`). INVALID_ARGUMENT naming `source`, line and field; FAILED_PRECONDITION for an
// unreadable or too open secret file. The connectors themselves validate the rest (Create).
absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> ParseOidcConnectors(
    const std::string& text, const std::string& source, const std::string& base_dir);

absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> LoadOidcConnectors(const std::string& path);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_
