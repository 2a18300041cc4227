// A JwksSource that GETs a provider's jwks_uri.
#ifndef JIT_SERVICES_AUTH_OIDC_HTTP_JWKS_SOURCE_H_
#define JIT_SERVICES_AUTH_OIDC_HTTP_JWKS_SOURCE_H_

#include <string>
#include <vector>

#include "common/auth/jwks_cache.h"
#include "common/http/http_client.h"

namespace jit::auth::oidc {

class HttpJwksSource final : public JwksSource {
 public:
  // `client` is not owned.
  HttpJwksSource(http::HttpClient* client, std::string jwks_uri)
      : client_(client), jwks_uri_(std::move(jwks_uri)) {}

  // UNAVAILABLE for transport errors and 5xx; FAILED_PRECONDITION for other statuses or a
  // body that is not a valid JWK set.
  absl::StatusOr<std::vector<jwt::JsonWebKey>> FetchJwks() override;

 private:
  http::HttpClient* const client_;
  const std::string jwks_uri_;
};

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_HTTP_JWKS_SOURCE_H_
