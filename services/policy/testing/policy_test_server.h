// An in-process PolicyService for tests: the real gRPC adapter (PolicyServiceImpl) on a real
// GrpcServer over TLS (test PKI, port 0), optionally behind the authentication gate, and
// stubs that connect to it with a client certificate.
#ifndef JIT_SERVICES_POLICY_TESTING_POLICY_TEST_SERVER_H_
#define JIT_SERVICES_POLICY_TESTING_POLICY_TEST_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/grpc_server.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/policy/policy_service_impl.h"

namespace jit::policy::testing {

class PolicyTestServer {
 public:
  // Serves `service` (borrowed; must outlive the server) plus any `extra` services, with
  // `auth_processor` (e.g. common/auth's ServiceAuth gate) on the credentials when given.
  static absl::StatusOr<std::unique_ptr<PolicyTestServer>> Start(
      PolicyServiceImpl* service, std::vector<server::RegisteredService> extra = {},
      int max_threads = 64,
      std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor = nullptr);

  ~PolicyTestServer();

  int port() const { return server_->port(); }

  // A new channel authenticated with the test certificate of `name` ("client", "ca", ...).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(const std::string& name = "client",
                                                            bool own_connection = false) const;
  // A stub over a new channel of `name`.
  std::unique_ptr<jit::policy::v1::PolicyService::Stub> NewStub(
      const std::string& name = "client") const;

 private:
  explicit PolicyTestServer(std::unique_ptr<server::GrpcServer> server)
      : server_(std::move(server)) {}

  std::unique_ptr<server::GrpcServer> server_;
};

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_TESTING_POLICY_TEST_SERVER_H_
