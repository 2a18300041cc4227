#include "common/auth/remote_token_sources.h"

#include "common/jwt/jwk.h"
#include "common/proto_time.h"
#include "common/status_macros.h"

namespace jit::auth {

RemoteJwksSource::RemoteJwksSource(const client::PeerClient* auth)
    : auth_(auth), stub_(jit::auth::v1::AuthService::NewStub(auth->channel())) {}

absl::StatusOr<std::vector<jwt::JsonWebKey>> RemoteJwksSource::FetchJwks() {
  auto ctx = auth_->NewContext();
  jit::auth::v1::GetJwksResponse response;
  RETURN_IF_ERROR(auth_->ToStatus(stub_->GetJwks(ctx.get(), {}, &response)));
  std::vector<jwt::JsonWebKey> keys;
  keys.reserve(response.keys_size());
  for (const jit::auth::v1::Jwk& jwk : response.keys()) keys.push_back(jwt::JwkFromProto(jwk));
  return keys;
}

RemoteRevocationFeed::RemoteRevocationFeed(const client::PeerClient* auth)
    : auth_(auth), stub_(jit::auth::v1::AuthService::NewStub(auth->channel())) {}

absl::StatusOr<RevocationUpdate> RemoteRevocationFeed::FetchRevocations(int64_t after_cursor) {
  auto ctx = auth_->NewContext();
  jit::auth::v1::ListRevokedSessionsRequest request;
  request.set_after_cursor(after_cursor);
  jit::auth::v1::ListRevokedSessionsResponse response;
  RETURN_IF_ERROR(auth_->ToStatus(stub_->ListRevokedSessions(ctx.get(), request, &response)));
  RevocationUpdate update;
  update.cursor = response.cursor();
  update.complete = response.complete();
  for (const auto& s : response.sessions()) {
    update.sessions.push_back(
        {.session_id = s.session_id(), .expire_time = FromProtoTimestamp(s.expire_time())});
  }
  return update;
}

}  // namespace jit::auth
