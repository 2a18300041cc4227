// A real OpenID provider for tests, on http://127.0.0.1:<port> (cpp-httplib): discovery,
// JWKS, an authorize endpoint that redirects with a code, and a token endpoint that checks
// the client credentials, the redirect URI and the PKCE verifier, then returns a signed ID
// token carrying the nonce. Misbehaviours can be switched on to exercise the client's checks.
#ifndef JIT_SERVICES_AUTH_OIDC_TESTING_FAKE_OIDC_PROVIDER_H_
#define JIT_SERVICES_AUTH_OIDC_TESTING_FAKE_OIDC_PROVIDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/jwt/jws.h"
#include "nlohmann/json.hpp"

namespace jit::auth::oidc::testing {

class FakeOidcProvider {
 public:
  struct Options {
    std::string client_id = "jit-test-client";
    std::string client_secret = "provider-s3cret";
    jwt::JwsAlgorithm alg = jwt::JwsAlgorithm::kRS256;
    const Clock* clock = nullptr;  // required; iat/exp come from it
  };

  // What the next ID tokens get wrong (all off by default).
  struct Misbehaviour {
    bool wrong_nonce = false;
    std::vector<std::string> audiences;  // empty = {client_id}
    std::string azp;                     // "" = no azp claim
    absl::Duration lifetime = absl::Minutes(10);
    absl::Duration issued_offset = absl::ZeroDuration();
    bool tamper_signature = false;
    bool alg_none = false;
    bool hs256_with_public_key = false;
    bool pkce_mismatch = false;    // remember another challenge than the one sent
    std::string id_token_issuer;   // "" = the real issuer
    std::string discovery_issuer;  // "" = the real issuer
  };

  static absl::StatusOr<std::unique_ptr<FakeOidcProvider>> Start(Options options);
  ~FakeOidcProvider();

  std::string issuer() const;
  // Claims added to every ID token (sub defaults to "user-1").
  void SetClaims(nlohmann::json claims);
  void SetMisbehaviour(Misbehaviour m);
  // Signs with a new key under a new kid from now on (the JWKS lists old and new).
  absl::Status RotateKey();

  int jwks_fetches() const;
  int token_requests() const;
  std::string last_client_auth() const;  // "basic" or "post"

  struct Impl;

 private:
  explicit FakeOidcProvider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::auth::oidc::testing

#endif  // JIT_SERVICES_AUTH_OIDC_TESTING_FAKE_OIDC_PROVIDER_H_
