#include "common/server/tls.h"

#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"

namespace jit::server {
namespace {

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path,
                                        absl::string_view pem_marker) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": must be set"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string pem = ss.str();
  if (!absl::StrContains(pem, pem_marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " does not contain a PEM ", pem_marker));
  }
  return pem;
}

}  // namespace

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFiles& files) {
  TlsMaterial material;
  auto cert = ReadPemFile("tls_cert_file", files.cert_file, "CERTIFICATE-----");
  if (!cert.ok()) return cert.status();
  material.cert_chain_pem = *std::move(cert);
  auto key = ReadPemFile("tls_key_file", files.key_file, "PRIVATE KEY-----");
  if (!key.ok()) return key.status();
  material.private_key_pem = SecretString(*std::move(key));
  auto ca = ReadPemFile("tls_ca_file", files.ca_file, "CERTIFICATE-----");
  if (!ca.ok()) return ca.status();
  material.ca_pem = *std::move(ca);
  return material;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsMaterial& material,
                                                               bool require_client_certificate) {
  grpc::SslServerCredentialsOptions options(
      require_client_certificate ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                 : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = material.ca_pem;
  options.pem_key_cert_pairs.push_back(
      {std::string(material.private_key_pem.Reveal()), material.cert_chain_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsMaterial& material) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = material.ca_pem;
  options.pem_private_key = std::string(material.private_key_pem.Reveal());
  options.pem_cert_chain = material.cert_chain_pem;
  return grpc::SslCredentials(options);
}

}  // namespace jit::server
