// UnaryHandler: the one way a gRPC adapter runs a unary call: look up the caller through the
// project method table (the same check the per-call gate made), run the logic, map its
// status once (jit::ToGrpcStatus). The method name is the handler's own __func__:
//   return handler_.Run(*ctx, __func__, reply, [&](const server::Caller& caller) {
//     return roles_->GetRole(caller.identity, *rq);   // absl::StatusOr<Role>
//   });
// The logic takes `const Caller&` or nothing, and returns absl::StatusOr<Reply> (moved into
// the reply), absl::Status (empty reply), or fills a trailing `Reply*` and returns
// absl::Status (the reply of a failed call is cleared). A refused caller ends the call with
// the refusal's code. Thread-safe; immutable after construction.
#ifndef JIT_COMMON_SERVER_UNARY_HANDLER_H_
#define JIT_COMMON_SERVER_UNARY_HANDLER_H_

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "common/audit/audit_event.h"
#include "common/auth/call_authorizer.h"
#include "common/grpc_status.h"
#include "grpcpp/server_context.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::server {

// Who is calling, as the logic sees it.
struct Caller {
  jit::common::v1::Identity identity;
  audit::AuditActor actor;  // for the audit events the call writes
};

// The authenticated caller of a call to `full_method` ("/jit.policy.v1.PolicyService/GetRole"):
// UNAUTHENTICATED when there is none, PERMISSION_DENIED when it may not call the method.
using CallerIdentityFn = std::function<absl::StatusOr<jit::common::v1::Identity>(
    const grpc::ServerContext& context, std::string_view full_method)>;

// The production source: jit::auth::AuthorizeServerCall over `authorizer` (borrowed).
CallerIdentityFn AuthorizedCaller(const auth::CallAuthorizer& authorizer);

class UnaryHandler {
 public:
  // For the methods of gRPC service `Service` (e.g. jit::policy::v1::PolicyService).
  template <typename Service>
  static UnaryHandler For(CallerIdentityFn caller_identity) {
    return UnaryHandler(Service::service_full_name(), std::move(caller_identity));
  }

  // "/<service>/<method>".
  std::string FullMethod(std::string_view method) const;

  template <typename Reply, typename Logic>
  grpc::Status Run(const grpc::ServerContext& context, std::string_view method, Reply* reply,
                   Logic&& logic) const;

 private:
  UnaryHandler(std::string_view service_full_name, CallerIdentityFn caller_identity);

  absl::StatusOr<Caller> FindCaller(const grpc::ServerContext& context,
                                    std::string_view full_method) const;
  template <typename Reply, typename Result>
  grpc::Status Finish(Result&& result, Reply* reply, std::string_view method) const;
  // ToGrpcStatus, naming the full method only when there is an error to log.
  grpc::Status Convert(const absl::Status& status, std::string_view method) const;

  std::string prefix_;  // "/<service>/"
  CallerIdentityFn caller_identity_;
};

// ---- implementation ---------------------------------------------------------------------

template <typename Reply, typename Logic>
grpc::Status UnaryHandler::Run(const grpc::ServerContext& context, std::string_view method,
                               Reply* reply, Logic&& logic) const {
  if constexpr (std::is_invocable_v<Logic, Reply*>) {
    return Finish(std::forward<Logic>(logic)(reply), reply, method);
  } else if constexpr (std::is_invocable_v<Logic>) {
    return Finish(std::forward<Logic>(logic)(), reply, method);
  } else {
    absl::StatusOr<Caller> caller = FindCaller(context, FullMethod(method));
    if (!caller.ok()) return Convert(caller.status(), method);
    if constexpr (std::is_invocable_v<Logic, const Caller&, Reply*>) {
      return Finish(std::forward<Logic>(logic)(*caller, reply), reply, method);
    } else {
      static_assert(std::is_invocable_v<Logic, const Caller&>,
                    "UnaryHandler::Run: logic must take (), (Reply*), (const Caller&) or "
                    "(const Caller&, Reply*)");
      return Finish(std::forward<Logic>(logic)(*caller), reply, method);
    }
  }
}

template <typename Reply, typename Result>
grpc::Status UnaryHandler::Finish(Result&& result, Reply* reply, std::string_view method) const {
  if constexpr (std::is_same_v<std::decay_t<Result>, absl::Status>) {
    if (!result.ok()) reply->Clear();  // no half-filled reply
    return Convert(result, method);
  } else {
    if (!result.ok()) return Convert(result.status(), method);
    *reply = *std::forward<Result>(result);
    return grpc::Status::OK;
  }
}

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_UNARY_HANDLER_H_
