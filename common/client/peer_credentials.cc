#include "common/client/peer_credentials.h"

#include <functional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/spiffe.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace jit::client {
namespace {

using ::grpc::experimental::TlsCustomVerificationCheckRequest;

// Runs after gRPC has verified the chain against the root bundle: gRPC's own hostname check
// (which a custom verifier replaces unless it delegates), then the service identity.
// Synchronous: string comparisons on the already parsed certificate.
class ServiceIdentityVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ServiceIdentityVerifier(std::string expected_service)
      : expected_service_(std::move(expected_service)) {}

  bool Verify(TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    *sync_status = Check(request);
    return true;
  }

  void Cancel(TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  grpc::Status Check(TlsCustomVerificationCheckRequest* request) {
    grpc::Status hostname_status;
    const bool hostname_done = hostname_.Verify(
        request, [](grpc::Status) {}, &hostname_status);
    if (!hostname_done) {
      // gRPC's hostname verifier is synchronous; refuse rather than wait if that changes.
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "hostname verification did not complete");
    }
    if (!hostname_status.ok()) return hostname_status;
    std::vector<std::string_view> uris;
    for (const grpc::string_ref& uri : request->uri_names()) {
      uris.emplace_back(uri.data(), uri.size());
    }
    const absl::Status identity = CheckPeerServiceIdentity(expected_service_, uris);
    if (!identity.ok()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(identity.message()));
    }
    return grpc::Status::OK;
  }

  const std::string expected_service_;
  grpc::experimental::HostNameCertificateVerifier hostname_;
};

}  // namespace

absl::Status CheckPeerServiceIdentity(std::string_view expected_service,
                                      const std::vector<std::string_view>& uri_sans) {
  // A parsed ID always has a valid service name, so an invalid `expected_service` matches
  // nothing.
  const std::string expected = auth::ServiceSpiffeId(expected_service);
  std::vector<std::string> found;
  for (std::string_view uri : uri_sans) {
    if (auth::ParseSpiffeId(uri).ok()) found.emplace_back(uri);
  }
  if (found.size() == 1 && found[0] == expected) return absl::OkStatus();
  return absl::UnauthenticatedError(
      absl::StrCat(std::string(kPeerIdentityMismatch), ": expected ", expected, ", found ",
                   found.empty() ? "no jit-access SPIFFE ID" : absl::StrJoin(found, " and ")));
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const server::TlsMaterial& tls,
                                                                 std::string_view service) {
  auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      tls.ca_pem, std::vector<grpc::experimental::IdentityKeyCertPair>{
                      {std::string(tls.private_key_pem.Reveal()), tls.cert_chain_pem}});
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(std::move(provider));
  // Roots from our bundle only: without watch_root_certs() gRPC would use the system's.
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();  // present our certificate (mTLS)
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<ServiceIdentityVerifier>(
          std::string(service)));
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace jit::client
