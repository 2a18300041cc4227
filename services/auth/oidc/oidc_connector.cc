#include "services/auth/oidc/oidc_connector.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/spiffe.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"
#include "common/jwt/strict_json.h"
#include "common/logging.h"
#include "services/auth/oidc/id_token.h"
#include "services/auth/oidc/pkce.h"
#include "spdlog/spdlog.h"

namespace jit::auth::oidc {
namespace {

// A native client's loopback redirect (RFC 8252 §7.3): http, an IP loopback literal, a port.
bool IsLoopbackRedirect(std::string_view url) {
  for (std::string_view prefix : {"http://127.0.0.1:", "http://[::1]:"}) {
    if (url.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = url.substr(prefix.size());
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0 || digits > 5) return false;
    rest.remove_prefix(digits);
    if (!rest.empty() && rest.front() != '/') return false;
    for (unsigned char c : rest) {
      if (c <= 0x20 || c >= 0x7f || c == '#') return false;
    }
    return true;
  }
  return false;
}

absl::Status Unauthenticated(const std::string& msg) { return absl::UnauthenticatedError(msg); }

}  // namespace

jit::common::v1::Identity OidcIdentity::ToIdentity() const {
  jit::common::v1::Identity id;
  id.set_kind(jit::common::v1::Identity::KIND_USER);
  id.set_name(username);
  for (const std::string& r : roles) id.add_roles(r);
  for (const auto& [trait, values] : traits) {
    auto& list = (*id.mutable_traits())[trait];
    for (const std::string& v : values) list.add_values(v);
  }
  id.set_mfa_verified(mfa);
  id.set_auth_method("oidc:" + connector);
  return id;
}

absl::StatusOr<std::unique_ptr<OidcConnector>> OidcConnector::Create(
    OidcConnectorConfig config, http::HttpClient* http, const OidcStateSealer* sealer,
    OidcUsedStateStore* used_states, const Clock* clock) {
  auto bad = [&](const std::string& field, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("oidc connector '", config.name, "': ", field, " ", why));
  };
  if (!IsValidServiceName(config.name)) return bad("name", "must match [a-z][a-z0-9-]*");
  if (config.client_id.empty()) return bad("client_id", "is required");
  if (config.client_secret.empty()) return bad("client_secret", "is required");
  if (absl::Status s = http::CheckUrlAllowed(config.issuer_url, config.allow_loopback_http);
      !s.ok()) {
    return bad("issuer_url", std::string(s.message()));
  }
  if (config.redirect_url.empty()) return bad("redirect_url", "is required");
  if (config.redirect_url.size() > kMaxRedirectUrlBytes) {
    return bad("redirect_url", absl::StrCat("must be at most ", kMaxRedirectUrlBytes, " bytes"));
  }
  if (!IsLoopbackRedirect(config.redirect_url) &&
      !http::CheckUrlAllowed(config.redirect_url, false).ok()) {
    return bad("redirect_url", "must be https (or a loopback http URL)");
  }
  if (std::find(config.scopes.begin(), config.scopes.end(), "openid") == config.scopes.end()) {
    return bad("scopes", "must include openid");
  }
  for (const std::string& scope : config.scopes) {
    if (scope.empty() || scope.find_first_of(" \t\"\\") != std::string::npos) {
      return bad("scopes", "contains an invalid scope");
    }
  }
  if (config.username_claim.empty()) return bad("username_claim", "is required");
  for (jwt::JwsAlgorithm alg : config.id_token_algorithms) {
    if (alg == jwt::JwsAlgorithm::kEdDSA) {
      // Fine in principle, but no provider we target uses it; keep the surface small.
      return bad("id_token_algorithms", "may only list RS256 and ES256");
    }
  }
  if (config.id_token_algorithms.empty()) return bad("id_token_algorithms", "is empty");
  if (config.login_ttl <= absl::ZeroDuration() || config.login_ttl > absl::Hours(1)) {
    return bad("login_ttl", "must be in (0, 1h]");
  }
  if (http == nullptr || sealer == nullptr || used_states == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError(
        "oidc connector needs an HTTP client, a state sealer, a used-state store and a clock");
  }
  absl::StatusOr<ClaimsMapper> mapper =
      ClaimsMapper::Create(config.claims_to_roles, config.claims_to_traits);
  if (!mapper.ok()) return bad("claims mapping:", std::string(mapper.status().message()));
  return std::unique_ptr<OidcConnector>(
      new OidcConnector(std::move(config), *std::move(mapper), http, sealer, used_states, clock));
}

OidcConnector::OidcConnector(OidcConnectorConfig config, ClaimsMapper mapper,
                             http::HttpClient* http, const OidcStateSealer* sealer,
                             OidcUsedStateStore* used_states, const Clock* clock)
    : config_(std::move(config)),
      mapper_(std::move(mapper)),
      http_(http),
      sealer_(sealer),
      used_states_(used_states),
      clock_(clock) {}

absl::StatusOr<std::shared_ptr<OidcConnector::ProviderState>> OidcConnector::Provider() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (provider_ != nullptr && now - provider_->fetched < config_.metadata_max_age) {
    return provider_;
  }
  absl::StatusOr<ProviderMetadata> metadata =
      FetchProviderMetadata(*http_, config_.issuer_url, config_.allow_loopback_http);
  if (!metadata.ok()) {
    if (provider_ != nullptr) {
      spdlog::warn("oidc connector={} metadata refresh failed, keeping the old: {}", config_.name,
                   LogSafe(metadata.status().ToString(), 256));
      return provider_;
    }
    return metadata.status();
  }
  auto state = std::make_shared<ProviderState>();
  state->fetched = now;
  if (provider_ != nullptr && provider_->metadata.jwks_uri == metadata->jwks_uri) {
    state->jwks_source = provider_->jwks_source;
    state->jwks = provider_->jwks;
  } else {
    state->jwks_source = std::make_shared<HttpJwksSource>(http_, metadata->jwks_uri);
    absl::StatusOr<std::unique_ptr<JwksCache>> cache = JwksCache::Create(
        state->jwks_source.get(), clock_, {.algorithms = config_.id_token_algorithms});
    if (!cache.ok()) return cache.status();
    state->jwks = *std::move(cache);
  }
  state->metadata = *std::move(metadata);
  provider_ = state;
  return state;
}

absl::StatusOr<OidcLoginStart> OidcConnector::Begin(std::string_view redirect_url,
                                                    absl::Duration ttl) {
  std::string redirect = std::string(redirect_url.empty() ? config_.redirect_url : redirect_url);
  if (redirect != config_.redirect_url && !IsLoopbackRedirect(redirect)) {
    return absl::InvalidArgumentError(
        "redirect_url must be the configured one or http://127.0.0.1:<port>/...");
  }
  if (redirect.size() > kMaxRedirectUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect_url: at most ", kMaxRedirectUrlBytes, " bytes"));
  }
  if (ttl < absl::ZeroDuration()) return absl::InvalidArgumentError("ttl must not be negative");
  if (ttl == absl::ZeroDuration() || ttl > config_.login_ttl) ttl = config_.login_ttl;
  absl::StatusOr<std::shared_ptr<ProviderState>> provider = Provider();
  if (!provider.ok()) return provider.status();

  absl::StatusOr<std::string> login_id = crypto::RandomBytes(kOidcLoginIdBytes);
  if (!login_id.ok()) return login_id.status();
  absl::StatusOr<std::string> nonce = crypto::RandomToken(32);
  if (!nonce.ok()) return nonce.status();
  absl::StatusOr<SecretString> verifier = CreatePkceVerifier();
  if (!verifier.ok()) return verifier.status();

  const absl::Time expire_time = clock_->Now() + ttl;  // the state keeps it to the microsecond
  const OidcLoginState login{.login_id = *std::move(login_id),
                             .connector = config_.name,
                             .nonce = SecretString(*nonce),
                             .pkce_verifier = *std::move(verifier),
                             .redirect_url = redirect,
                             .expire_time = expire_time};
  // Sealed, not stored: a flood of Begins costs the server nothing it keeps.
  absl::StatusOr<std::string> state = sealer_->Seal(login);
  if (!state.ok()) return state.status();

  const std::string& endpoint = (*provider)->metadata.authorization_endpoint;
  std::string url = endpoint;
  url += endpoint.find('?') == std::string::npos ? '?' : '&';
  absl::StrAppend(&url, "response_type=code", "&client_id=", http::PercentEncode(config_.client_id),
                  "&redirect_uri=", http::PercentEncode(redirect),
                  "&scope=", http::PercentEncode(absl::StrJoin(config_.scopes, " ")),
                  "&state=", *state, "&nonce=", *nonce,
                  "&code_challenge=", PkceS256Challenge(login.pkce_verifier.Reveal()),
                  "&code_challenge_method=S256");
  return OidcLoginStart{std::move(url), *std::move(state), login.expire_time};
}

absl::StatusOr<std::string> OidcConnector::RedeemCode(const ProviderMetadata& metadata,
                                                      std::string_view code,
                                                      const OidcLoginState& login) {
  std::vector<http::Field> form = {
      {"grant_type", SecretString(std::string("authorization_code"))},
      {"code", SecretString(code)},
      {"redirect_uri", SecretString(login.redirect_url)},
      {"code_verifier", login.pkce_verifier},
  };
  std::vector<http::Field> headers;
  if (config_.client_auth == ClientAuthMethod::kClientSecretPost) {
    form.push_back({"client_id", SecretString(config_.client_id)});
    form.push_back({"client_secret", config_.client_secret});
  } else {
    // RFC 6749 §2.3.1: form-urlencode id and secret, then base64 "id:secret".
    std::string credentials = http::PercentEncode(config_.client_id) + ":";
    credentials += http::PercentEncode(config_.client_secret.Reveal());
    SecretString raw(std::move(credentials));
    headers.push_back(
        {"Authorization", SecretString("Basic " + crypto::Base64Encode(raw.Reveal()))});
  }
  absl::StatusOr<http::HttpResponse> response =
      http_->PostForm(metadata.token_endpoint, form, headers);
  if (!response.ok()) return response.status();
  if (response->status >= 500) {
    return absl::UnavailableError(absl::StrCat("OIDC token endpoint answered ", response->status));
  }
  absl::StatusOr<nlohmann::json> body =
      jwt::ParseStrictJsonObject(response->body, "OIDC token response");
  if (response->status != 200) {
    std::string error = "unknown_error";
    if (body.ok() && body->contains("error") && (*body)["error"].is_string()) {
      error = LogSafe((*body)["error"].get<std::string>(), 64);
    }
    return Unauthenticated("OIDC provider refused the code: " + error);
  }
  if (!body.ok()) return Unauthenticated("OIDC token response is malformed");
  const auto id_token = body->find("id_token");
  if (id_token == body->end() || !id_token->is_string()) {
    return Unauthenticated("OIDC token response has no id_token");
  }
  return id_token->get<std::string>();
}

absl::StatusOr<OidcIdentity> OidcConnector::Complete(std::string_view state,
                                                     std::string_view code) {
  absl::StatusOr<OidcLoginState> login = sealer_->Open(state);
  if (!login.ok()) return login.status();
  return Complete(*login, code);
}

absl::StatusOr<OidcIdentity> OidcConnector::Complete(const OidcLoginState& login,
                                                     std::string_view code) {
  if (code.empty() || code.size() > 4096) {
    return Unauthenticated("OIDC login state or code missing or malformed");
  }
  if (login.connector != config_.name) {
    return Unauthenticated("OIDC login state belongs to another connector");
  }
  if (clock_->Now() >= login.expire_time) return Unauthenticated(std::string(kUnusableOidcState));
  // A state seen before (a reload of the callback page, a replay) is refused without asking
  // the provider; MarkUsed below decides races.
  absl::StatusOr<bool> seen = used_states_->IsUsed(login.login_id);
  if (!seen.ok()) return seen.status();
  if (*seen) return Unauthenticated(std::string(kUnusableOidcState));
  absl::StatusOr<std::shared_ptr<ProviderState>> provider = Provider();
  if (!provider.ok()) return provider.status();
  absl::StatusOr<std::string> id_token = RedeemCode((*provider)->metadata, code, login);
  if (!id_token.ok()) return id_token.status();

  IdTokenPolicy policy{.issuer = (*provider)->metadata.issuer,
                       .client_id = config_.client_id,
                       .algorithms = config_.id_token_algorithms,
                       .max_clock_skew = config_.max_clock_skew};
  absl::StatusOr<nlohmann::json> claims =
      VerifyIdToken(*id_token, login.nonce.Reveal(), policy, *(*provider)->jwks, clock_->Now());
  if (!claims.ok()) {
    spdlog::info("oidc connector={} id token refused: {}", config_.name,
                 LogSafe(std::string(claims.status().message())));
    return claims.status();
  }
  // The provider vouched for this login: only now is the state spent (so only real logins add
  // rows), and a state that completed a login before is refused as a replay.
  if (absl::Status used = used_states_->MarkUsed(login.login_id, login.expire_time);
      absl::IsAlreadyExists(used)) {
    spdlog::info("oidc connector={} state replayed", config_.name);
    return Unauthenticated(std::string(kUnusableOidcState));
  } else if (!used.ok()) {
    return used;
  }

  OidcIdentity identity;
  identity.connector = config_.name;
  identity.subject = (*claims)["sub"].get<std::string>();
  const std::vector<std::string> names = ClaimValues(*claims, config_.username_claim);
  const auto name_it = claims->find(config_.username_claim);
  if (names.size() != 1 || name_it == claims->end() || !name_it->is_string()) {
    return Unauthenticated("ID token claim " + config_.username_claim + " is missing");
  }
  if (config_.username_claim == "email") {
    const auto verified = claims->find("email_verified");
    if (verified != claims->end() && !(verified->is_boolean() && verified->get<bool>())) {
      return Unauthenticated("ID token email is not verified");
    }
  }
  if (!IsValidUserName(names[0])) {
    return Unauthenticated("ID token claim " + config_.username_claim +
                           " is not a valid jit-access user name");
  }
  identity.username = names[0];
  MappedClaims mapped = mapper_.Map(*claims);
  identity.roles = std::move(mapped.roles);
  identity.traits = std::move(mapped.traits);
  for (const std::string& amr : ClaimValues(*claims, "amr")) {
    if (std::find(config_.mfa_amr_values.begin(), config_.mfa_amr_values.end(), amr) !=
        config_.mfa_amr_values.end()) {
      identity.mfa = true;
    }
  }
  return identity;
}

}  // namespace jit::auth::oidc
