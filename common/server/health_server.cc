#include "common/server/health_server.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/ext/health_check_service_server_builder_option.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace jit::server {
namespace {

// Server builder plugins are process-wide (GrpcServer enables server reflection through
// one); this server must carry none of them, so it drops them all.
class NoPlugins final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

}  // namespace

// grpc.health.v1 Check on the one status SetServing sets; Watch stays UNIMPLEMENTED (the
// kubelet only calls Check). Synchronous: a server without a sync service cannot start.
class HealthServer::Service final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override {
    if (!request->service().empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "only the whole server (\"\") is known");
    }
    response->set_status(serving_.load() ? grpc::health::v1::HealthCheckResponse::SERVING
                                         : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    return grpc::Status::OK;
  }
  std::atomic<bool> serving_{false};
};

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address) {
  auto service = std::make_unique<Service>();
  grpc::ServerBuilder builder;
  // Ours answers instead of the default health service (enabled process-wide by GrpcServer).
  builder.SetOption(std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(nullptr));
  builder.RegisterService(service.get());
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetOption(std::make_unique<NoPlugins>());
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a busy port is an error
  builder.SetMaxReceiveMessageSize(4096);                   // a HealthCheckRequest is tiny
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("health_addr: cannot listen on ", address));
  }
  return std::unique_ptr<HealthServer>(
      new HealthServer(std::move(service), std::move(server), port));
}

HealthServer::HealthServer(std::unique_ptr<Service> service, std::unique_ptr<grpc::Server> server,
                           int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

HealthServer::~HealthServer() { Shutdown(); }

void HealthServer::SetServing(bool serving) { service_->serving_.store(serving); }

void HealthServer::Shutdown() {
  if (shut_down_.exchange(true)) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

}  // namespace jit::server
