#include "common/server/grpc_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_limits.h"
#include "common/server/undecodable_requests.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace jit::server {

std::vector<std::string> MethodNamesOf(const std::string& service_full_name) {
  std::vector<std::string> names;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_full_name);
  if (service == nullptr) return names;
  for (int i = 0; i < service->method_count(); ++i) {
    names.push_back(absl::StrCat("/", service_full_name, "/", service->method(i)->name()));
  }
  return names;
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<RegisteredService>& services,
    GrpcServerMetrics* metrics,
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      MakeServerCredentials(options.tls, options.require_client_certificate);
  if (options.auth_processor != nullptr) {
    credentials->SetAuthMetadataProcessor(options.auth_processor);
  }
  builder.AddListeningPort(options.listen_address, credentials, &port);
  grpc::ResourceQuota quota(absl::StrCat("jit-", options.service_name));
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // The project-wide limit (gRPC's default is 8 KiB): every session token fits with room.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, static_cast<int>(kMaxGrpcMetadataBytes));
  // gRPC binds with SO_REUSEPORT by default, which lets a second process silently share a
  // port already in use; a busy port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);

  std::vector<std::string> names;
  if (metrics != nullptr) {
    metrics->AddKnownMethods({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                              "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"});
  }
  for (const RegisteredService& s : services) {
    builder.RegisterService(s.service);
    names.push_back(s.full_name);
    if (metrics != nullptr) metrics->AddKnownMethods(MethodNamesOf(s.full_name));
  }

  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> all;
  // First: it corrects the status of an undecodable request before metrics count it.
  all.push_back(MakeUndecodableRequestInterceptorFactory());
  if (metrics != nullptr) all.push_back(metrics->MakeInterceptorFactory());
  for (auto& i : interceptors) all.push_back(std::move(i));
  builder.experimental().SetInterceptorCreators(std::move(all));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat(options.listen_flag, ": cannot listen on ", options.listen_address));
  }
  auto result =
      std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port, std::move(names)));
  result->SetServing(true);
  return result;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  for (const std::string& name : service_names_) health->SetServingStatus(name, serving);
}

void GrpcServer::Shutdown(absl::Duration drain) {
  if (shut_down_.exchange(true)) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(drain));
  server_->Wait();
}

void GrpcServer::Wait() { server_->Wait(); }

}  // namespace jit::server
