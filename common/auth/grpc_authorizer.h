// gRPC glue for CallAuthorizer. Both pieces fail closed; a server uses both:
//
// 1. A gate before any handler runs: install the processor on the server credentials.
//      auto creds = grpc::SslServerCredentials(ssl_options);  // request + verify client certs
//      creds->SetAuthMetadataProcessor(
//          std::make_shared<AuthorizingMetadataProcessor>(authorizer.get()));
//    A refused call ends with the exact code (UNAUTHENTICATED / PERMISSION_DENIED /
//    UNAVAILABLE) and its handler is never called. (gRPC 1.51's experimental server
//    interceptors cannot end a call with a status of their choosing, hence the processor.)
//
// 2. The caller's identity inside a handler:
//      ASSIGN_OR_RETURN(Identity caller,
//          AuthorizeServerCall(*authorizer, *context, "/jit.ca.v1.CaService/RotateCa"));
//    This authorizes again from the call's own credentials (a cache hit for the token and
//    the peer certificate: well under a microsecond). The processor cannot hand its result
//    to the handler: gRPC 1.51 shares one AuthContext among the calls of a connection, so a
//    property set for one call would be seen by the others.
#ifndef JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_
#define JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/auth/call_authorizer.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/server_context.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::auth {

// Runs the CallAuthorizer for every call, before the handler; records nothing. Thread-safe;
// `authorizer` is not owned and must outlive the server.
class AuthorizingMetadataProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit AuthorizingMetadataProcessor(const CallAuthorizer* authorizer)
      : authorizer_(authorizer) {}

  // Token verification may fetch keys over the network.
  bool IsBlocking() const override { return true; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const CallAuthorizer* const authorizer_;
};

// The caller's identity for a call to `full_method` (way 2 above), or the refusal.
absl::StatusOr<jit::common::v1::Identity> AuthorizeServerCall(const CallAuthorizer& authorizer,
                                                              const grpc::ServerContext& context,
                                                              std::string_view full_method);

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_
