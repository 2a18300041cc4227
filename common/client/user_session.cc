#include "common/client/user_session.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/client/peer.h"
#include "common/grpc_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jit::client {

UserSession::UserSession(std::string name, std::string address, const std::string& ca_pem,
                         std::string token, absl::Duration timeout)
    : name_(std::move(name)),
      address_(std::move(address)),
      token_(std::move(token)),
      timeout_(timeout) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  // Replicas as for services (peer.h): a list or dns:/// target is called round robin, and
  // idempotent methods are retried on UNAVAILABLE.
  PeerTarget target = PeerTargetFor(name_, address_);
  channel_ = grpc::CreateCustomChannel(target.target, grpc::SslCredentials(options), target.args);
}

std::unique_ptr<grpc::ClientContext> UserSession::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  return context;
}

absl::Status UserSession::ToStatus(const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat(name_, " service at ", address_, " is unavailable: ", status.error_message()));
  }
  return FromGrpcStatus(status);
}

}  // namespace jit::client
