// The gRPC server every jit-access service runs: TLS (mTLS for services), the standard
// grpc.health.v1 health service, server reflection, RPC metrics, INVALID_ARGUMENT for
// undecodable requests (undecodable_requests.h), and graceful shutdown with a drain
// deadline.
//
//   ASSIGN_OR_RETURN(auto server, GrpcServer::Start(options,
//                    {RegisteredService::Of<jit::auth::v1::AuthService>(&impl)}, &metrics));
//   WaitForTerminationSignal();
//   server->Shutdown(options.drain_timeout);
#ifndef JIT_COMMON_SERVER_GRPC_SERVER_H_
#define JIT_COMMON_SERVER_GRPC_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"
#include "common/server/tls.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"

namespace jit::server {

// A service implementation with the full protobuf name of its API.
struct RegisteredService {
  std::string full_name;   // "jit.auth.v1.AuthService"
  grpc::Service* service;  // Not owned; must outlive the server.

  // For a generated API class `Api` (e.g. jit::auth::v1::AuthService).
  template <typename Api>
  static RegisteredService Of(typename Api::Service* impl) {
    return RegisteredService{Api::service_full_name(), impl};
  }
};

struct GrpcServerOptions {
  // Short name, the metrics prefix and log name: "auth", "ca", ...
  std::string service_name;
  // "host:port"; port 0 picks a free port (see GrpcServer::port()).
  std::string listen_address;
  // The flag that set listen_address, named when it cannot be bound.
  std::string listen_flag = "listen_addr";
  TlsMaterial tls;
  // Threads serving synchronous RPCs (libpqxx blocks; this bounds database concurrency
  // together with the pool size).
  int max_threads = 256;
  int max_receive_message_bytes = 4 << 20;
  // Refuse TLS handshakes without a client certificate (the service lane).
  bool require_client_certificate = false;
  // Runs before every call's handler and may refuse it (authentication and per-method
  // authorization, common/auth). Null: no gate (tests of the server alone).
  std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor;
};

class GrpcServer {
 public:
  // Builds and starts the server. UNAVAILABLE if the address cannot be bound.
  // `metrics` may be null; `interceptors` run after the metrics interceptor, in order.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<RegisteredService>& services,
      GrpcServerMetrics* metrics,
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
          interceptors = {});

  ~GrpcServer();

  // The port actually bound.
  int port() const { return port_; }

  // Health status of the whole server ("") and of each registered service.
  void SetServing(bool serving);

  // Marks the server NOT_SERVING, stops accepting calls, lets in-flight calls finish until
  // `drain` passes, then cancels the rest. Idempotent; thread-safe.
  void Shutdown(absl::Duration drain);

  // Blocks until the server has shut down.
  void Wait();

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> names)
      : server_(std::move(server)), port_(port), service_names_(std::move(names)) {}

  std::unique_ptr<grpc::Server> server_;
  const int port_;
  const std::vector<std::string> service_names_;
  std::atomic<bool> shut_down_{false};
};

// Full method names ("/jit.auth.v1.AuthService/Login") of a service known to the generated
// descriptor pool; empty if unknown.
std::vector<std::string> MethodNamesOf(const std::string& service_full_name);

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_GRPC_SERVER_H_
