// A stand-in for the two token-publishing RPCs of the auth service (GetJwks and
// ListRevokedSessions), so that integration tests of other services can present real
// session tokens while jit-auth does not serve them yet (its RPCs answer UNIMPLEMENTED until
// its phase 2). Everything else is real: a GrpcServer over TLS with the test PKI's "auth"
// certificate, the real AuthService API, an Ed25519 key whose public half it publishes, and
// tokens signed by the real SessionTokenIssuer. Replace with the jit-auth binary once it
// serves these RPCs.
#ifndef JIT_TESTS_INTEGRATION_AUTH_TOKEN_PEER_H_
#define JIT_TESTS_INTEGRATION_AUTH_TOKEN_PEER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/test_keys.h"
#include "common/server/grpc_server.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::testing {

class AuthTokenPeer final : public jit::auth::v1::AuthService::Service {
 public:
  // Serves on 127.0.0.1 (port chosen by the kernel) with issuer and audience "jit-access",
  // the services' default --token_issuer / --token_audience.
  static absl::StatusOr<std::unique_ptr<AuthTokenPeer>> Start();
  ~AuthTokenPeer() override;

  // "localhost:<port>", for --auth_addr.
  std::string address() const;

  // A session token for a person named `name` holding `roles`, valid for an hour.
  absl::StatusOr<std::string> TokenFor(const std::string& name,
                                       const std::vector<std::string>& roles) const;

  grpc::Status GetJwks(grpc::ServerContext* context, const jit::auth::v1::GetJwksRequest* request,
                       jit::auth::v1::GetJwksResponse* response) override;
  grpc::Status ListRevokedSessions(grpc::ServerContext* context,
                                   const jit::auth::v1::ListRevokedSessionsRequest* request,
                                   jit::auth::v1::ListRevokedSessionsResponse* response) override;

 private:
  explicit AuthTokenPeer(jit::auth::testing::TestSessionKey key) : key_(std::move(key)) {}

  jit::auth::testing::TestSessionKey key_;
  std::unique_ptr<server::GrpcServer> server_;
};

}  // namespace jit::testing

#endif  // JIT_TESTS_INTEGRATION_AUTH_TOKEN_PEER_H_
