#include "common/auth/grpc_authorizer.h"

#include <grpc/grpc_security_constants.h>

#include "common/grpc_status.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {
namespace {

using jit::common::v1::Identity;

std::string_view View(const grpc::string_ref& s) { return std::string_view(s.data(), s.size()); }

// The verified peer leaf certificate, "" when none. gRPC records it only for a completed
// TLS handshake.
std::string_view PeerCertificate(const grpc::AuthContext* context) {
  if (context == nullptr) return "";
  const std::vector<grpc::string_ref> certs =
      context->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  return certs.size() == 1 ? View(certs[0]) : std::string_view();
}

}  // namespace

grpc::Status AuthorizingMetadataProcessor::Process(const InputMetadata& auth_metadata,
                                                   grpc::AuthContext* context,
                                                   OutputMetadata* consumed_auth_metadata,
                                                   OutputMetadata* response_metadata) {
  const absl::Time start = clock_->Now();
  const auto path = auth_metadata.find(":path");
  if (path == auth_metadata.end()) {
    if (on_refusal_) on_refusal_("", grpc::StatusCode::PERMISSION_DENIED, clock_->Now() - start);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no method name");
  }
  const std::string_view method = View(path->second);
  CallCredentials credentials;
  const auto [begin, end] = auth_metadata.equal_range("authorization");
  for (auto it = begin; it != end; ++it) credentials.authorization.push_back(View(it->second));
  credentials.peer_cert_pem = PeerCertificate(context);

  absl::StatusOr<Identity> identity =
      authorizer_->Authorize(method, credentials, /*record_token_result=*/true);
  if (!identity.ok()) {
    grpc::Status refusal = ToGrpcStatus(identity.status(), method);
    if (on_refusal_) on_refusal_(method, refusal.error_code(), clock_->Now() - start);
    if (std::optional<uint64_t> suppressed = refusal_log_.Admit()) {
      ++logged_refusals_;
      spdlog::info("rpc refused method={} code={} reason={}{}", LogSafe(method),
                   absl::StatusCodeToString(identity.status().code()),
                   LogSafe(std::string(identity.status().message())), SuppressedNote(*suppressed));
    }
    return refusal;
  }
  return grpc::Status::OK;
}

absl::StatusOr<Identity> AuthorizeServerCall(const CallAuthorizer& authorizer,
                                             const grpc::ServerContext& context,
                                             std::string_view full_method) {
  CallCredentials credentials;
  const auto& metadata = context.client_metadata();
  const auto [begin, end] = metadata.equal_range("authorization");
  for (auto it = begin; it != end; ++it) credentials.authorization.push_back(View(it->second));
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  credentials.peer_cert_pem = PeerCertificate(auth.get());
  return authorizer.Authorize(full_method, credentials);
}

}  // namespace jit::auth
