#include "services/auth/oidc/discovery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/jwt/strict_json.h"

namespace jit::auth::oidc {
namespace {

absl::Status Bad(std::string_view member, std::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("OIDC discovery: ", std::string(member), " ", std::string(why)));
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& doc, const char* name) {
  const auto it = doc.find(name);
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Bad(name, "is missing or not a string");
  }
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> StringList(const nlohmann::json& doc, const char* name) {
  std::vector<std::string> out;
  const auto it = doc.find(name);
  if (it == doc.end()) return out;
  if (!it->is_array()) return Bad(name, "is not an array");
  for (const auto& v : *it) {
    if (!v.is_string()) return Bad(name, "has a non-string value");
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string DiscoveryUrl(std::string_view issuer) {
  while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

absl::StatusOr<ProviderMetadata> ParseProviderMetadata(std::string_view json,
                                                       std::string_view expected_issuer,
                                                       bool allow_loopback_http) {
  absl::StatusOr<nlohmann::json> doc =
      jwt::ParseStrictJsonObject(json, "OIDC discovery document", {.max_bytes = 256 * 1024});
  if (!doc.ok()) return absl::FailedPreconditionError(doc.status().message());
  ProviderMetadata m;
  for (auto [name, field] :
       {std::pair{"issuer", &m.issuer},
        std::pair{"authorization_endpoint", &m.authorization_endpoint},
        std::pair{"token_endpoint", &m.token_endpoint}, std::pair{"jwks_uri", &m.jwks_uri}}) {
    absl::StatusOr<std::string> v = RequiredString(*doc, name);
    if (!v.ok()) return v.status();
    *field = *std::move(v);
  }
  if (m.issuer != expected_issuer) {
    return Bad("issuer",
               absl::StrCat("is '", m.issuer, "', expected '", std::string(expected_issuer), "'"));
  }
  for (auto [name, url] :
       {std::pair{"authorization_endpoint", &m.authorization_endpoint},
        std::pair{"token_endpoint", &m.token_endpoint}, std::pair{"jwks_uri", &m.jwks_uri}}) {
    if (absl::Status s = http::CheckUrlAllowed(*url, allow_loopback_http); !s.ok()) {
      return Bad(name, std::string(s.message()));
    }
  }
  absl::StatusOr<std::vector<std::string>> response_types =
      StringList(*doc, "response_types_supported");
  if (!response_types.ok()) return response_types.status();
  if (!response_types->empty() && !Contains(*response_types, "code")) {
    return Bad("response_types_supported", "does not include \"code\"");
  }
  absl::StatusOr<std::vector<std::string>> algs =
      StringList(*doc, "id_token_signing_alg_values_supported");
  if (!algs.ok()) return algs.status();
  m.id_token_signing_alg_values_supported = *std::move(algs);
  absl::StatusOr<std::vector<std::string>> pkce =
      StringList(*doc, "code_challenge_methods_supported");
  if (!pkce.ok()) return pkce.status();
  if (!pkce->empty() && !Contains(*pkce, "S256")) {
    return Bad("code_challenge_methods_supported", "does not include S256");
  }
  m.code_challenge_methods_supported = *std::move(pkce);
  absl::StatusOr<std::vector<std::string>> auth_methods =
      StringList(*doc, "token_endpoint_auth_methods_supported");
  if (!auth_methods.ok()) return auth_methods.status();
  m.token_endpoint_auth_methods_supported = *std::move(auth_methods);
  return m;
}

absl::StatusOr<ProviderMetadata> FetchProviderMetadata(http::HttpClient& client,
                                                       std::string_view issuer,
                                                       bool allow_loopback_http) {
  const std::string url = DiscoveryUrl(issuer);
  absl::StatusOr<http::HttpResponse> response = client.Get(url);
  if (!response.ok()) return response.status();
  if (response->status >= 500) {
    return absl::UnavailableError(
        absl::StrCat("OIDC discovery: ", url, " answered ", response->status));
  }
  if (response->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("OIDC discovery: ", url, " answered ", response->status));
  }
  return ParseProviderMetadata(response->body, issuer, allow_loopback_http);
}

}  // namespace jit::auth::oidc
