// Calling a jit-access service as a person (the jit CLI): a TLS channel that trusts the
// deployment's CA bundle and sends no client certificate, and unary calls that carry the
// session token as "authorization: Bearer <token>" with a deadline.
//
//   UserSession auth("auth", "localhost:7101", ca_pem, token, absl::Seconds(10));
//   auto stub = jit::auth::v1::AuthService::NewStub(auth.channel());
//   absl::StatusOr<WhoAmIResponse> r = auth.Call(*stub, &AuthService::Stub::WhoAmI, {});
//
// Errors keep the server's code and message (they are meant for the person), except that a
// service that is down, unreachable or too slow gives UNAVAILABLE "<name> service at
// <address> is unavailable: ...". An empty token sends no authorization header (Login).
// `address` may name several replicas ("host:port,host:port" or "dns:///host:port"): calls
// are spread round robin and idempotent ones retried on UNAVAILABLE, as PeerClient does.
// Thread-safe; a failed call returns only the status, never a partial response.
#ifndef JIT_COMMON_CLIENT_USER_SESSION_H_
#define JIT_COMMON_CLIENT_USER_SESSION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace jit::client {

class UserSession {
 public:
  UserSession(std::string name, std::string address, const std::string& ca_pem, std::string token,
              absl::Duration timeout);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& name() const { return name_; }

  std::unique_ptr<grpc::ClientContext> NewContext() const;
  absl::Status ToStatus(const grpc::Status& status) const;

  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) const {
    Response response;
    std::unique_ptr<grpc::ClientContext> ctx = NewContext();
    absl::Status status = ToStatus((stub.*method)(ctx.get(), request, &response));
    if (!status.ok()) return status;
    return response;
  }

 private:
  const std::string name_;
  const std::string address_;
  const std::string token_;
  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace jit::client

#endif  // JIT_COMMON_CLIENT_USER_SESSION_H_
