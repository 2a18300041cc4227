#include "services/auth/oidc/http_jwks_source.h"

#include "absl/strings/str_cat.h"

namespace jit::auth::oidc {

absl::StatusOr<std::vector<jwt::JsonWebKey>> HttpJwksSource::FetchJwks() {
  absl::StatusOr<http::HttpResponse> response = client_->Get(jwks_uri_);
  if (!response.ok()) return response.status();
  if (response->status >= 500) {
    return absl::UnavailableError(
        absl::StrCat("JWKS ", http::UrlForLog(jwks_uri_), " answered ", response->status));
  }
  if (response->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("JWKS ", http::UrlForLog(jwks_uri_), " answered ", response->status));
  }
  absl::StatusOr<std::vector<jwt::JsonWebKey>> keys = jwt::ParseJwkSet(response->body);
  if (!keys.ok()) return absl::FailedPreconditionError(keys.status().message());
  return keys;
}

}  // namespace jit::auth::oidc
