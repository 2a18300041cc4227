#include "tools/jit-host/grpc_host_ca_client.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/client/peer_credentials.h"
#include "common/grpc_status.h"
#include "pqxx/pqxx"

namespace jit::host {

namespace v1 = ::jit::ca::v1;

std::unique_ptr<GrpcHostCaClient> GrpcHostCaClient::ForEnrollment(const std::string& addr,
                                                                  const std::string& ca_pem,
                                                                  absl::Duration timeout) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  return std::unique_ptr<GrpcHostCaClient>(
      new GrpcHostCaClient(grpc::CreateChannel(addr, grpc::SslCredentials(options)), timeout));
}

std::unique_ptr<GrpcHostCaClient> GrpcHostCaClient::ForHost(const std::string& addr,
                                                            const std::string& ca_pem,
                                                            const std::string& cert_pem,
                                                            const SecretString& key_pem,
                                                            absl::Duration timeout) {
  server::TlsMaterial tls;
  tls.cert_chain_pem = cert_pem;
  tls.private_key_pem = SecretString(std::string(key_pem.Reveal()));
  tls.ca_pem = ca_pem;
  return std::unique_ptr<GrpcHostCaClient>(new GrpcHostCaClient(
      grpc::CreateChannel(addr, client::PeerChannelCredentials(tls, "ca")), timeout));
}

std::unique_ptr<grpc::ClientContext> GrpcHostCaClient::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout_)));
  return context;
}

absl::StatusOr<v1::EnrollHostResponse> GrpcHostCaClient::EnrollHost(
    const v1::EnrollHostRequest& request) {
  v1::EnrollHostResponse response;
  grpc::Status s = stub_->EnrollHost(Context().get(), request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response;
}

absl::StatusOr<v1::RenewHostResponse> GrpcHostCaClient::RenewHost(
    const v1::RenewHostRequest& request) {
  v1::RenewHostResponse response;
  grpc::Status s = stub_->RenewHost(Context().get(), request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response;
}

absl::StatusOr<v1::GetCaPublicKeysResponse> GrpcHostCaClient::GetCaPublicKeys() {
  v1::GetCaPublicKeysResponse response;
  grpc::Status s = stub_->GetCaPublicKeys(Context().get(), {}, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response;
}

absl::StatusOr<v1::GetRevocationListResponse> GrpcHostCaClient::GetRevocationList(v1::CaType type) {
  v1::GetRevocationListRequest request;
  request.set_type(type);
  v1::GetRevocationListResponse response;
  grpc::Status s = stub_->GetRevocationList(Context().get(), request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response;
}

absl::Status CommandReloader::Reload() {
  const int rc = std::system(command_.c_str());
  if (rc == -1) return absl::InternalError("cannot run --postgres-reload-command");
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return absl::UnavailableError(
        absl::StrCat("--postgres-reload-command failed (exit ", WEXITSTATUS(rc), ")"));
  }
  return absl::OkStatus();
}

absl::Status SqlReloader::Reload() {
  // libpqxx throws; this adapter is the one place that catches it.
  try {
    pqxx::connection connection(url_);
    pqxx::nontransaction txn(connection);
    const pqxx::row row = txn.exec1("SELECT pg_reload_conf()");
    if (!row[0].as<bool>()) return absl::UnavailableError("pg_reload_conf() returned false");
    return absl::OkStatus();
  } catch (const std::exception& e) {
    // The URL may hold a password: the message of a connection failure never repeats it
    // (libpq names host and port), but keep only the first line.
    std::string message = e.what();
    message = message.substr(0, message.find('\n'));
    return absl::UnavailableError(absl::StrCat("SELECT pg_reload_conf(): ", message));
  }
}

}  // namespace jit::host
