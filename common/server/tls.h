// TLS material for gRPC servers and channels, read from files (Kubernetes Secrets in
// production, jit-bootstrap output locally).
//
// Servers request a client certificate and verify it against the CA bundle when one is
// presented (services authenticate with mTLS); people's clients may connect without one
// and authenticate with a bearer token instead. Channels always present their certificate.
#ifndef JIT_COMMON_SERVER_TLS_H_
#define JIT_COMMON_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace jit::server {

// Paths to PEM files.
struct TlsFiles {
  std::string cert_file;  // Certificate chain of this process.
  std::string key_file;   // Its private key.
  std::string ca_file;    // CA bundle that peers' certificates must chain to.
};

// The loaded PEM contents.
struct TlsMaterial {
  std::string cert_chain_pem;
  SecretString private_key_pem;
  std::string ca_pem;
};

// Reads and sanity-checks the three files. Errors (FAILED_PRECONDITION / INVALID_ARGUMENT)
// name the flag whose file is missing, unreadable or not PEM of the right kind.
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFiles& files);

// `require_client_certificate`: the handshake fails without a client certificate that
// chains to the CA bundle (the service lane, service_main.h); otherwise one is requested
// and verified when sent (users call with session tokens and no certificate).
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsMaterial& material, bool require_client_certificate = false);
// Checks the server's chain and host name only, not which service it is: calls to another
// jit-access service use client::PeerChannelCredentials (common/client/peer_credentials.h).
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsMaterial& material);

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_TLS_H_
