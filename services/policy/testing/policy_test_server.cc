#include "services/policy/testing/policy_test_server.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/server/tls.h"
#include "common/testing/test_pki_files.h"
#include "grpcpp/create_channel.h"

namespace jit::policy::testing {

absl::StatusOr<std::unique_ptr<PolicyTestServer>> PolicyTestServer::Start(
    PolicyServiceImpl* service, std::vector<server::RegisteredService> extra, int max_threads,
    std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor) {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles("policy"));
  if (!tls.ok()) return tls.status();
  std::vector<server::RegisteredService> services = {
      server::RegisteredService::Of<jit::policy::v1::PolicyService>(service)};
  services.insert(services.end(), extra.begin(), extra.end());
  absl::StatusOr<std::unique_ptr<server::GrpcServer>> server =
      server::GrpcServer::Start({.service_name = "policy",
                                 .listen_address = "127.0.0.1:0",
                                 .tls = *tls,
                                 .max_threads = max_threads,
                                 .auth_processor = std::move(auth_processor)},
                                services, /*metrics=*/nullptr);
  if (!server.ok()) return server.status();
  return std::unique_ptr<PolicyTestServer>(new PolicyTestServer(*std::move(server)));
}

PolicyTestServer::~PolicyTestServer() { server_->Shutdown(absl::Seconds(5)); }

absl::StatusOr<std::shared_ptr<grpc::Channel>> PolicyTestServer::NewChannel(
    const std::string& name, bool own_connection) const {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles(name));
  if (!tls.ok()) return tls.status();
  grpc::ChannelArguments args;
  // Channels with identical arguments share one subchannel (one TCP connection); a
  // distinct value gives this channel a connection of its own.
  static std::atomic<int> counter{0};
  if (own_connection) args.SetInt("jit.test.channel_id", counter.fetch_add(1));
  return grpc::CreateCustomChannel(absl::StrCat("localhost:", port()),
                                   server::MakeChannelCredentials(*tls), args);
}

std::unique_ptr<jit::policy::v1::PolicyService::Stub> PolicyTestServer::NewStub(
    const std::string& name) const {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = NewChannel(name);
  if (!channel.ok()) return nullptr;
  return jit::policy::v1::PolicyService::NewStub(*channel);
}

}  // namespace jit::policy::testing
