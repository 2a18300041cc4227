// Channel credentials for calling one named jit-access service over mTLS.
//
// grpc::SslCredentials only checks that the server certificate chains to the CA bundle and
// names the host we dialled; every jit-access service certificate carries the same host
// names, so a channel to auth would accept the policy service's certificate. These
// credentials also require, during the TLS handshake, that the server certificate carry the
// identity of the service we meant to call:
//
//   auto creds = PeerChannelCredentials(tls, "auth");
//   auto channel = grpc::CreateChannel("auth.jit:7101", creds);
//
// The handshake checks, all of which must pass before a request byte is sent:
//  1. the server's chain verifies against `tls.ca_pem` (and only that bundle);
//  2. the dialled host is in the certificate's DNS/IP SANs (as grpc::SslCredentials did);
//  3. the certificate carries exactly one jit-access SPIFFE ID, and it is
//     spiffe://jit-access/service/<service> (CheckPeerServiceIdentity).
// The client presents `tls`'s certificate chain and key (mTLS).
//
// A refused handshake fails the call with UNAVAILABLE; its message contains
// kPeerIdentityMismatch when check 3 failed (PeerClient maps that to INTERNAL).
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
