#include "tests/integration/auth_token_peer.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/jwt/jwk.h"
#include "common/server/tls.h"
#include "common/testing/test_pki_files.h"

namespace jit::testing {

absl::StatusOr<std::unique_ptr<AuthTokenPeer>> AuthTokenPeer::Start() {
  absl::StatusOr<jit::auth::testing::TestSessionKey> key =
      jit::auth::testing::MakeTestSessionKey("itest-key-1", "jit-access", "jit-access");
  if (!key.ok()) return key.status();
  std::unique_ptr<AuthTokenPeer> peer(new AuthTokenPeer(*std::move(key)));
  absl::StatusOr<server::TlsMaterial> tls = server::LoadTlsMaterial(TestTlsFiles("auth"));
  if (!tls.ok()) return tls.status();
  absl::StatusOr<std::unique_ptr<server::GrpcServer>> server = server::GrpcServer::Start(
      {.service_name = "auth", .listen_address = "127.0.0.1:0", .tls = *tls},
      {server::RegisteredService::Of<jit::auth::v1::AuthService>(peer.get())},
      /*metrics=*/nullptr);
  if (!server.ok()) return server.status();
  peer->server_ = *std::move(server);
  return peer;
}

AuthTokenPeer::~AuthTokenPeer() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(5));
}

std::string AuthTokenPeer::address() const { return absl::StrCat("localhost:", server_->port()); }

absl::StatusOr<std::string> AuthTokenPeer::TokenFor(const std::string& name,
                                                    const std::vector<std::string>& roles) const {
  static std::atomic<int> sessions{0};
  jit::common::v1::Identity identity;
  identity.set_kind(jit::common::v1::Identity::KIND_USER);
  identity.set_name(name);
  for (const std::string& role : roles) identity.add_roles(role);
  (*identity.mutable_traits())["logins"].add_values(name);
  identity.set_session_id(absl::StrCat("itest-session-", sessions.fetch_add(1)));
  identity.set_auth_method("local");
  const absl::Time now = absl::Now();
  return key_.issuer->Issue(identity, now, now + absl::Hours(1));
}

grpc::Status AuthTokenPeer::GetJwks(grpc::ServerContext*, const jit::auth::v1::GetJwksRequest*,
                                    jit::auth::v1::GetJwksResponse* response) {
  *response->add_keys() = jwt::JwkToProto(key_.jwk);
  response->set_jwks_json(jwt::SerializeJwkSet({key_.jwk}));
  return grpc::Status::OK;
}

grpc::Status AuthTokenPeer::ListRevokedSessions(
    grpc::ServerContext*, const jit::auth::v1::ListRevokedSessionsRequest*,
    jit::auth::v1::ListRevokedSessionsResponse* response) {
  response->set_cursor(1);
  response->set_complete(true);  // nothing is revoked
  return grpc::Status::OK;
}

}  // namespace jit::testing
