#include "common/client/peer.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/client/channel_args.h"
#include "common/client/peer_credentials.h"
#include "grpcpp/create_channel.h"

namespace jit::client {

PeerClient::PeerClient(std::string name, const std::string& address, const server::TlsMaterial& tls,
                       absl::Duration timeout)
    : name_(std::move(name)),
      address_(address),
      timeout_(timeout),
      channel_(grpc::CreateCustomChannel(address, PeerChannelCredentials(tls, name_),
                                         ClientChannelArguments())) {}

std::unique_ptr<grpc::ClientContext> PeerClient::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  return ctx;
}

absl::Status PeerClient::ToStatus(const grpc::Status& status) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: {
      // gRPC reports a refused handshake as UNAVAILABLE, with our verifier's message.
      const std::string& message = status.error_message();
      const size_t mismatch = message.find(kPeerIdentityMismatch);
      if (mismatch != std::string::npos) {
        return absl::InternalError(absl::StrCat(name_, " service at ", address_,
                                                " presented the wrong identity (",
                                                message.substr(mismatch), ")"));
      }
      return absl::UnavailableError(
          absl::StrCat(name_, " service unavailable: ", status.error_message()));
    }
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::InternalError(
          absl::StrCat(name_, " service refused our service identity: ", status.error_message()));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
  }
}

}  // namespace jit::client
