// A plaintext gRPC server that answers only the standard health service (grpc.health.v1),
// for Kubernetes' native gRPC probes: the kubelet speaks neither TLS nor mTLS, so it cannot
// probe a service's own port. Nothing else is reachable on it: no jit-access API, no server
// reflection. Enabled by --health_addr (service_main.cc); off when that flag is empty.
//
//   ASSIGN_OR_RETURN(auto health, HealthServer::Start("0.0.0.0:7201"));
//   health->SetServing(true);   // mirrors the main server
//   ...
//   health->SetServing(false);  // on SIGTERM, before the main server drains
//
// Check answers for the whole server (service ""); Watch is not offered (UNIMPLEMENTED).
// Errors: UNAVAILABLE naming health_addr when the address cannot be bound.
// Thread-safety: SetServing and Shutdown are thread-safe; Shutdown is idempotent.
#ifndef JIT_COMMON_SERVER_HEALTH_SERVER_H_
#define JIT_COMMON_SERVER_HEALTH_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

namespace jit::server {

class HealthServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one). Starts NOT_SERVING.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address);

  ~HealthServer();

  int port() const { return port_; }

  // The status of the whole server (service ""); other service names are NOT_FOUND.
  void SetServing(bool serving);

  // Stops at once (health checks are short); NOT_SERVING first.
  void Shutdown();

 private:
  class Service;
  HealthServer(std::unique_ptr<Service> service, std::unique_ptr<grpc::Server> server, int port);

  std::unique_ptr<Service> service_;  // Outlives server_.
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_HEALTH_SERVER_H_
