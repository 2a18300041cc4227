#include "services/auth/oidc/testing/fake_oidc_provider.h"

#include <map>

#include "absl/synchronization/mutex.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/ecdsa_p256.h"
#include "common/crypto/random.h"
#include "common/crypto/rsa.h"
#include "common/http/http_client.h"
#include "common/http/loopback_http_server.h"
#include "common/jwt/jwk.h"
#include "services/auth/oidc/pkce.h"

namespace jit::auth::oidc::testing {
namespace {

struct SigningKey {
  std::string kid;
  jwt::JwsAlgorithm alg;
  std::shared_ptr<crypto::Signer> signer;
  jwt::JsonWebKey jwk;
  std::string public_key_bytes;  // what a confused verifier might use as an HMAC secret
};

absl::StatusOr<SigningKey> MakeKey(jwt::JwsAlgorithm alg, const std::string& kid) {
  SigningKey key{.kid = kid, .alg = alg};
  if (alg == jwt::JwsAlgorithm::kRS256) {
    absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::GenerateRsaKey(2048);
    if (!pkey.ok()) return pkey.status();
    absl::StatusOr<jwt::JsonWebKey> jwk = jwt::RsaJwk(kid, pkey->get());
    if (!jwk.ok()) return jwk.status();
    key.jwk = *jwk;
    key.public_key_bytes = *crypto::PublicKeyToPem(pkey->get());
    auto signer = crypto::RsaSsaPkcs1Sha256Signer::Create(*std::move(pkey));
    if (!signer.ok()) return signer.status();
    key.signer = std::move(*signer);
  } else {
    absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::GenerateP256Key();
    if (!pkey.ok()) return pkey.status();
    absl::StatusOr<jwt::JsonWebKey> jwk = jwt::P256Jwk(kid, pkey->get());
    if (!jwk.ok()) return jwk.status();
    key.jwk = *jwk;
    key.public_key_bytes = *crypto::PublicKeyToPem(pkey->get());
    auto signer = crypto::EcdsaP256Signer::Create(*std::move(pkey),
                                                  crypto::EcdsaSignatureEncoding::kIeeeP1363);
    if (!signer.ok()) return signer.status();
    key.signer = std::move(*signer);
  }
  return key;
}

struct IssuedCode {
  std::string challenge;
  std::string nonce;
  std::string redirect_uri;
};

}  // namespace

struct FakeOidcProvider::Impl {
  Options options;
  httplib::Server server;
  std::unique_ptr<http::testing::LoopbackHttpServer> runner;
  std::string issuer;

  mutable absl::Mutex mu;
  std::vector<SigningKey> keys ABSL_GUARDED_BY(mu);
  nlohmann::json claims ABSL_GUARDED_BY(mu) = nlohmann::json::object();
  Misbehaviour misbehaviour ABSL_GUARDED_BY(mu);
  std::map<std::string, IssuedCode> codes ABSL_GUARDED_BY(mu);
  int jwks_fetches ABSL_GUARDED_BY(mu) = 0;
  int token_requests ABSL_GUARDED_BY(mu) = 0;
  std::string last_client_auth ABSL_GUARDED_BY(mu);

  void Routes();
  std::string IdToken(const IssuedCode& code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

void FakeOidcProvider::Impl::Routes() {
  server.Get("/.well-known/openid-configuration", [this](const httplib::Request&,
                                                         httplib::Response& res) {
    absl::MutexLock lock(&mu);
    const std::string iss =
        misbehaviour.discovery_issuer.empty() ? issuer : misbehaviour.discovery_issuer;
    nlohmann::json doc = {
        {"issuer", iss},
        {"authorization_endpoint", issuer + "/authorize"},
        {"token_endpoint", issuer + "/token"},
        {"jwks_uri", issuer + "/jwks"},
        {"response_types_supported", {"code"}},
        {"subject_types_supported", {"public"}},
        {"id_token_signing_alg_values_supported", {"RS256", "ES256"}},
        {"code_challenge_methods_supported", {"S256"}},
        {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
    };
    res.set_content(doc.dump(), "application/json");
  });
  server.Get("/jwks", [this](const httplib::Request&, httplib::Response& res) {
    absl::MutexLock lock(&mu);
    ++jwks_fetches;
    std::vector<jwt::JsonWebKey> jwks;
    for (const SigningKey& k : keys) jwks.push_back(k.jwk);
    res.set_content(jwt::SerializeJwkSet(jwks), "application/json");
  });
  server.Get("/authorize", [this](const httplib::Request& req, httplib::Response& res) {
    auto bad = [&](const std::string& why) {
      res.status = 400;
      res.set_content(why, "text/plain");
    };
    if (req.get_param_value("response_type") != "code") return bad("response_type");
    if (req.get_param_value("client_id") != options.client_id) return bad("client_id");
    if (req.get_param_value("code_challenge_method") != "S256") return bad("pkce method");
    const std::string challenge = req.get_param_value("code_challenge");
    const std::string redirect = req.get_param_value("redirect_uri");
    const std::string state = req.get_param_value("state");
    const std::string nonce = req.get_param_value("nonce");
    const std::string scope = req.get_param_value("scope");
    if (challenge.size() != 43 || redirect.empty() || state.empty() || nonce.empty() ||
        scope.find("openid") == std::string::npos) {
      return bad("missing parameter");
    }
    const std::string code = *crypto::RandomToken(16);
    {
      absl::MutexLock lock(&mu);
      codes[code] = IssuedCode{misbehaviour.pkce_mismatch ? PkceS256Challenge("other") : challenge,
                               nonce, redirect};
    }
    const char sep = redirect.find('?') == std::string::npos ? '?' : '&';
    res.set_redirect(redirect + sep + "code=" + http::PercentEncode(code) +
                     "&state=" + http::PercentEncode(state));
  });
  server.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
    auto error = [&](int status, const std::string& code) {
      res.status = status;
      res.set_content(nlohmann::json{{"error", code}}.dump(), "application/json");
    };
    absl::MutexLock lock(&mu);
    ++token_requests;
    std::string id, secret;
    const std::string authz = req.get_header_value("Authorization");
    if (authz.rfind("Basic ", 0) == 0) {
      absl::StatusOr<std::string> decoded = crypto::Base64Decode(authz.substr(6));
      if (!decoded.ok()) return error(401, "invalid_client");
      const size_t colon = decoded->find(':');
      if (colon == std::string::npos) return error(401, "invalid_client");
      id = *http::PercentDecode(decoded->substr(0, colon));
      secret = *http::PercentDecode(decoded->substr(colon + 1));
      last_client_auth = "basic";
    } else {
      id = req.get_param_value("client_id");
      secret = req.get_param_value("client_secret");
      last_client_auth = "post";
    }
    if (id != options.client_id || secret != options.client_secret) {
      return error(401, "invalid_client");
    }
    if (req.get_param_value("grant_type") != "authorization_code") {
      return error(400, "unsupported_grant_type");
    }
    const auto it = codes.find(req.get_param_value("code"));
    if (it == codes.end()) return error(400, "invalid_grant");
    const IssuedCode issued = it->second;
    codes.erase(it);  // single use
    if (req.get_param_value("redirect_uri") != issued.redirect_uri) {
      return error(400, "invalid_grant");
    }
    if (PkceS256Challenge(req.get_param_value("code_verifier")) != issued.challenge) {
      return error(400, "invalid_grant");
    }
    nlohmann::json body = {{"access_token", *crypto::RandomToken(16)},
                           {"token_type", "Bearer"},
                           {"expires_in", 600},
                           {"id_token", IdToken(issued)}};
    res.set_content(body.dump(), "application/json");
  });
}

std::string FakeOidcProvider::Impl::IdToken(const IssuedCode& code) {
  const Misbehaviour& m = misbehaviour;
  const SigningKey& key = keys.back();
  const int64_t iat = absl::ToUnixSeconds(options.clock->Now() + m.issued_offset);
  nlohmann::json claims_out = {{"sub", "user-1"}};
  for (const auto& [k, v] : claims.items()) claims_out[k] = v;
  claims_out["iss"] = m.id_token_issuer.empty() ? issuer : m.id_token_issuer;
  if (m.audiences.empty()) {
    claims_out["aud"] = options.client_id;
  } else {
    claims_out["aud"] = m.audiences;
  }
  if (!m.azp.empty()) claims_out["azp"] = m.azp;
  claims_out["iat"] = iat;
  claims_out["exp"] = iat + absl::ToInt64Seconds(m.lifetime);
  claims_out["nonce"] = m.wrong_nonce ? std::string("not-the-nonce") : code.nonce;
  const std::string payload = claims_out.dump();

  if (m.alg_none) {
    return crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
           crypto::Base64UrlEncode(payload) + ".";
  }
  if (m.hs256_with_public_key) {
    const std::string input =
        crypto::Base64UrlEncode(nlohmann::json{{"alg", "HS256"}, {"kid", key.kid}}.dump()) + "." +
        crypto::Base64UrlEncode(payload);
    return input + "." + crypto::Base64UrlEncode(*crypto::HmacSha256(key.public_key_bytes, input));
  }
  nlohmann::json header = {
      {"alg", std::string(jwt::JwsAlgorithmName(key.alg))}, {"kid", key.kid}, {"typ", "JWT"}};
  std::string token = *jwt::SignCompactJwsWithHeader(header, payload, *key.signer);
  if (m.tamper_signature) {
    // Flip bits in the middle of the signature (keeps base64url canonical).
    const size_t pos = token.rfind('.') + 10;
    token[pos] = token[pos] == 'A' ? 'B' : 'A';
  }
  return token;
}

FakeOidcProvider::FakeOidcProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeOidcProvider::~FakeOidcProvider() { impl_->runner.reset(); }

absl::StatusOr<std::unique_ptr<FakeOidcProvider>> FakeOidcProvider::Start(Options options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("fake provider needs a clock");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  absl::StatusOr<SigningKey> key = MakeKey(options.alg, "key-1");
  if (!key.ok()) return key.status();
  {
    absl::MutexLock lock(&impl->mu);
    impl->keys.push_back(*std::move(key));
  }
  impl->Routes();
  impl->runner = std::make_unique<http::testing::LoopbackHttpServer>(&impl->server);
  if (impl->runner->port() <= 0) return absl::InternalError("fake provider cannot bind");
  impl->issuer = "http://127.0.0.1:" + std::to_string(impl->runner->port());
  return std::unique_ptr<FakeOidcProvider>(new FakeOidcProvider(std::move(impl)));
}

std::string FakeOidcProvider::issuer() const { return impl_->issuer; }

void FakeOidcProvider::SetClaims(nlohmann::json claims) {
  absl::MutexLock lock(&impl_->mu);
  impl_->claims = std::move(claims);
}

void FakeOidcProvider::SetMisbehaviour(Misbehaviour m) {
  absl::MutexLock lock(&impl_->mu);
  impl_->misbehaviour = std::move(m);
}

absl::Status FakeOidcProvider::RotateKey() {
  absl::MutexLock lock(&impl_->mu);
  absl::StatusOr<SigningKey> key =
      MakeKey(impl_->options.alg, "key-" + std::to_string(impl_->keys.size() + 1));
  if (!key.ok()) return key.status();
  impl_->keys.push_back(*std::move(key));
  return absl::OkStatus();
}

int FakeOidcProvider::jwks_fetches() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->jwks_fetches;
}

int FakeOidcProvider::token_requests() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->token_requests;
}

std::string FakeOidcProvider::last_client_auth() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->last_client_auth;
}

}  // namespace jit::auth::oidc::testing
