// gRPC glue for CallAuthorizer.
//
// Two ways to use it on a server (both fail closed):
//
// 1. Before any handler runs (preferred): install the processor on the server credentials.
//      auto creds = grpc::SslServerCredentials(ssl_options);  // mTLS, request+verify client certs
//      creds->SetAuthMetadataProcessor(
//          std::make_shared<AuthorizingMetadataProcessor>(authorizer.get()));
//    A refused call ends with the exact code (UNAUTHENTICATED / PERMISSION_DENIED /
//    UNAVAILABLE) and the handler is never called. Handlers read the established identity:
//      ASSIGN_OR_RETURN(Identity caller, CallerIdentity(*context));
//    (gRPC's experimental server interceptors in 1.51 cannot end a call with a status of
//    their choosing, hence the processor.)
//
// 2. Inside a handler, when a processor cannot be installed:
//      ASSIGN_OR_RETURN(Identity caller,
//          AuthorizeServerCall(*authorizer, *context, "/jit.ca.v1.CaService/RotateCa"));
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

// Name of the AuthContext property in which the processor stores the serialized Identity.
// Clients cannot set AuthContext properties; only server-side code can.
inline constexpr char kIdentityProperty[] = "jit-identity";

// Runs the CallAuthorizer for every call, before the handler. Thread-safe; `authorizer` is
// not owned and must outlive the server.
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

// The identity the processor established for this call. UNAUTHENTICATED when there is none
// (the processor is not installed: never serve such a call).
absl::StatusOr<jit::common::v1::Identity> CallerIdentity(const grpc::ServerContext& context);

// Authorizes a call from inside its handler (way 2 above).
absl::StatusOr<jit::common::v1::Identity> AuthorizeServerCall(const CallAuthorizer& authorizer,
                                                              const grpc::ServerContext& context,
                                                              std::string_view full_method);

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_
