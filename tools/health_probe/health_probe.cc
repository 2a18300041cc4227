// jit-health-probe: asks a jit-access service for its grpc.health.v1 status over mTLS, or
// with --plaintext on its --health_addr port as the kubelet's gRPC probe does.
// Exit 0 when SERVING, 1 otherwise (NOT_SERVING, unreachable, TLS refused), 2 on bad flags.
// Used by deploy/local/up.sh and the image test.
//
//   jit-health-probe --addr=localhost:7101 --tls_cert_file=... --tls_key_file=...
//       --tls_ca_file=... [--service=jit.auth.v1.AuthService] [--timeout=2s]
//   jit-health-probe --addr=localhost:7201 --plaintext
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "common/config/flags.h"
#include "common/server/tls.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, addr, "", "host:port of the service (required)");
ABSL_FLAG(std::string, service, "", "Service name to check; empty = the whole server");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(2), "Deadline of the check");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate (required)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM client key (required)");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CA bundle (required)");
ABSL_FLAG(bool, plaintext, false,
          "No TLS: for the plaintext health port (--health_addr) that Kubernetes probes");

int main(int argc, char** argv) {
  jit::config::ParseFlagsOrExit(argc, argv, "jit-health-probe: gRPC health check over mTLS");
  const std::string addr = absl::GetFlag(FLAGS_addr);
  if (addr.empty())
    jit::config::ExitWithConfigError(absl::InvalidArgumentError("addr: must be set"));
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout < absl::Milliseconds(1) || timeout > absl::Minutes(10)) {
    jit::config::ExitWithConfigError(
        absl::InvalidArgumentError("timeout: must be between 1ms and 10m"));
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (absl::GetFlag(FLAGS_plaintext)) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    auto tls = jit::server::LoadTlsMaterial({.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                                             .key_file = absl::GetFlag(FLAGS_tls_key_file),
                                             .ca_file = absl::GetFlag(FLAGS_tls_ca_file)});
    if (!tls.ok()) jit::config::ExitWithConfigError(tls.status());
    credentials = jit::server::MakeChannelCredentials(*tls);
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(addr, credentials));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&ctx, request, &response);
  if (!status.ok()) {
    std::printf("%s: %s\n", addr.c_str(), status.error_message().c_str());
    return 1;
  }
  std::printf("%s: %s\n", addr.c_str(),
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}
