// Channel credentials for calling one named jit-access service over mTLS:
//   auto channel = grpc::CreateChannel("auth.jit:7101", PeerChannelCredentials(tls, "auth"));
// Every service certificate carries the same host names, so besides grpc::SslCredentials'
// checks (chain to `tls.ca_pem` only; dialled host in the DNS/IP SANs) the handshake requires
// exactly one jit-access SPIFFE ID, spiffe://jit-access/service/<service>
// (CheckPeerServiceIdentity), before a request byte is sent. The client presents `tls`'s
// chain and key. A refused handshake fails the call with UNAVAILABLE; its message contains
// kPeerIdentityMismatch when the identity check failed (PeerClient maps that to INTERNAL).
#ifndef JIT_COMMON_CLIENT_PEER_CREDENTIALS_H_
#define JIT_COMMON_CLIENT_PEER_CREDENTIALS_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/server/tls.h"
#include "grpcpp/security/credentials.h"

namespace jit::client {

// Marks a handshake refused because the server is not the service we meant to call.
inline constexpr std::string_view kPeerIdentityMismatch = "peer identity mismatch";

// Check 3 alone. `uri_sans` are the server certificate's URI SANs; URIs that are not
// jit-access SPIFFE IDs are ignored (as the server side does, common/auth). OK when exactly
// one jit-access SPIFFE ID is present and it is `expected_service`'s; otherwise
// UNAUTHENTICATED "peer identity mismatch: expected <uri>, found <uri(s) or none>". An
// `expected_service` that is not a valid service name matches nothing.
absl::Status CheckPeerServiceIdentity(std::string_view expected_service,
                                      const std::vector<std::string_view>& uri_sans);

// Credentials for channels to `service` ("auth", "policy", ...). Cheap to call; the checks
// run once per TLS handshake, not per call.
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const server::TlsMaterial& tls,
                                                                 std::string_view service);

}  // namespace jit::client

#endif  // JIT_COMMON_CLIENT_PEER_CREDENTIALS_H_
