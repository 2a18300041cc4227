#include "common/server/unary_handler.h"

#include "absl/strings/str_cat.h"
#include "common/auth/grpc_authorizer.h"

namespace jit::server {

CallerIdentityFn AuthorizedCaller(const auth::CallAuthorizer& authorizer) {
  return [&authorizer](const grpc::ServerContext& context, std::string_view full_method) {
    return auth::AuthorizeServerCall(authorizer, context, full_method);
  };
}

UnaryHandler::UnaryHandler(std::string_view service_full_name, CallerIdentityFn caller_identity)
    : prefix_(absl::StrCat(
          "/", absl::string_view(service_full_name.data(), service_full_name.size()), "/")),
      caller_identity_(std::move(caller_identity)) {}

std::string UnaryHandler::FullMethod(std::string_view method) const {
  return absl::StrCat(prefix_, absl::string_view(method.data(), method.size()));
}

grpc::Status UnaryHandler::Convert(const absl::Status& status, std::string_view method) const {
  if (status.ok()) return grpc::Status::OK;
  return ToGrpcStatus(status, FullMethod(method));
}

absl::StatusOr<Caller> UnaryHandler::FindCaller(const grpc::ServerContext& context,
                                                std::string_view full_method) const {
  if (!caller_identity_) return absl::UnauthenticatedError("no caller identity source");
  absl::StatusOr<jit::common::v1::Identity> identity = caller_identity_(context, full_method);
  if (!identity.ok()) return identity.status();
  Caller caller{.identity = *std::move(identity), .actor = {}};
  caller.actor = audit::ActorOf(caller.identity, context.peer());
  return caller;
}

}  // namespace jit::server
