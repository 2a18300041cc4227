// HostCaClient over gRPC to the ca service, every call with a deadline. For enrolment the
// channel verifies the ca's certificate against the internal CA given by the operator and
// presents none (the token proves); afterwards it presents the host identity (mTLS as
// spiffe://jit-access/host/<name>) and also requires the server to be spiffe://.../service/ca.
// Reloaders for PostgreSQL: a shell command, or SELECT pg_reload_conf() over libpq.
#ifndef JIT_TOOLS_JIT_HOST_GRPC_HOST_CA_CLIENT_H_
#define JIT_TOOLS_JIT_HOST_GRPC_HOST_CA_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/secret.h"
#include "grpcpp/grpcpp.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "tools/jit-host/host_agent.h"

namespace jit::host {

class GrpcHostCaClient final : public HostCaClient {
 public:
  // Enrolment: TLS, server checked against `ca_pem`, no client certificate.
  static std::unique_ptr<GrpcHostCaClient> ForEnrollment(const std::string& addr,
                                                         const std::string& ca_pem,
                                                         absl::Duration timeout);
  // Sync: mTLS with the host identity; the server must be the ca service.
  static std::unique_ptr<GrpcHostCaClient> ForHost(const std::string& addr,
                                                   const std::string& ca_pem,
                                                   const std::string& cert_pem,
                                                   const SecretString& key_pem,
                                                   absl::Duration timeout);

  absl::StatusOr<ca::v1::EnrollHostResponse> EnrollHost(
      const ca::v1::EnrollHostRequest& request) override;
  absl::StatusOr<ca::v1::RenewHostResponse> RenewHost(
      const ca::v1::RenewHostRequest& request) override;
  absl::StatusOr<ca::v1::GetCaPublicKeysResponse> GetCaPublicKeys() override;
  absl::StatusOr<ca::v1::GetRevocationListResponse> GetRevocationList(ca::v1::CaType type) override;

 private:
  GrpcHostCaClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
      : stub_(ca::v1::CaService::NewStub(channel)), timeout_(timeout) {}
  std::unique_ptr<grpc::ClientContext> Context() const;

  std::unique_ptr<ca::v1::CaService::Stub> stub_;
  const absl::Duration timeout_;
};

class CommandReloader final : public PostgresReloader {
 public:
  explicit CommandReloader(std::string command) : command_(std::move(command)) {}
  absl::Status Reload() override;

 private:
  const std::string command_;
};

class SqlReloader final : public PostgresReloader {
 public:
  explicit SqlReloader(std::string url) : url_(std::move(url)) {}
  absl::Status Reload() override;

 private:
  const std::string url_;
};

}  // namespace jit::host

#endif  // JIT_TOOLS_JIT_HOST_GRPC_HOST_CA_CLIENT_H_
