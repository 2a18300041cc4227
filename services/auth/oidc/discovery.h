// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3): fetched from
// <issuer>/.well-known/openid-configuration and checked before use.
#ifndef JIT_SERVICES_AUTH_OIDC_DISCOVERY_H_
#define JIT_SERVICES_AUTH_OIDC_DISCOVERY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http/http_client.h"

namespace jit::auth::oidc {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> code_challenge_methods_supported;       // may be empty
  std::vector<std::string> token_endpoint_auth_methods_supported;  // may be empty
};

// <issuer without trailing '/'>/.well-known/openid-configuration
std::string DiscoveryUrl(std::string_view issuer);

// Parses and checks a discovery document: "issuer" must equal `expected_issuer` exactly
// (Discovery §4.3, against mix-up attacks); the endpoints and jwks_uri must be URLs the HTTP
// client may fetch; "code" must be a supported response type; when the provider lists PKCE
// methods, S256 must be one. FAILED_PRECONDITION names the offending member.
absl::StatusOr<ProviderMetadata> ParseProviderMetadata(std::string_view json,
                                                       std::string_view expected_issuer,
                                                       bool allow_loopback_http);

// GET + parse. UNAVAILABLE when the provider cannot be reached or answers 5xx.
absl::StatusOr<ProviderMetadata> FetchProviderMetadata(http::HttpClient& client,
                                                       std::string_view issuer,
                                                       bool allow_loopback_http);

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_DISCOVERY_H_
