#include "tests/integration/testkit/credentials.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/status/statusor.h"
#include "common/server/tls.h"
#include "common/testing/test_pki_files.h"

namespace jit::testkit {
namespace {

server::TlsMaterial LoadOrDie(const std::string& pki_name) {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles(pki_name));
  if (!tls.ok()) {
    std::fprintf(stderr, "testkit: test PKI \"%s\": %s\n", pki_name.c_str(),
                 tls.status().ToString().c_str());
    std::abort();
  }
  return *std::move(tls);
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> ServiceCredentials(const std::string& pki_name) {
  return server::MakeChannelCredentials(LoadOrDie(pki_name));
}

std::shared_ptr<grpc::ChannelCredentials> AnonymousCredentials() {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = LoadOrDie("client").ca_pem;
  return grpc::SslCredentials(options);
}

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

}  // namespace jit::testkit
