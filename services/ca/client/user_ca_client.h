// UserCaClient: what a person's client (the jit CLI) asks jit-ca as that person: certificates
// for public keys it generated (the private keys never leave the machine) and the CA keys to
// trust (known_hosts, the X.509 bundle). The server decides what the session and grants
// allow; errors come back with its code and message. GrpcUserCaClient calls over a
// client::UserSession (TLS trusting the CA bundle, the session token as a bearer).
// Implementations are thread-safe.
#ifndef JIT_SERVICES_CA_CLIENT_USER_CA_CLIENT_H_
#define JIT_SERVICES_CA_CLIENT_USER_CA_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/client/user_session.h"
#include "jit/ca/v1/ca.grpc.pb.h"

namespace jit::ca {

class UserCaClient {
 public:
  virtual ~UserCaClient() = default;
  virtual absl::StatusOr<v1::SignUserSshCertResponse> SignUserSshCert(
      const v1::SignUserSshCertRequest& request) = 0;
  virtual absl::StatusOr<v1::SignUserX509CertResponse> SignUserX509Cert(
      const v1::SignUserX509CertRequest& request) = 0;
  virtual absl::StatusOr<v1::GetCaPublicKeysResponse> GetCaPublicKeys(
      const v1::GetCaPublicKeysRequest& request) = 0;
};

class GrpcUserCaClient final : public UserCaClient {
 public:
  // `session` is named "ca"; borrowed, must outlive the client.
  explicit GrpcUserCaClient(const client::UserSession* session)
      : session_(session), stub_(v1::CaService::NewStub(session->channel())) {}

  absl::StatusOr<v1::SignUserSshCertResponse> SignUserSshCert(
      const v1::SignUserSshCertRequest& request) override {
    return session_->Call(*stub_, &v1::CaService::Stub::SignUserSshCert, request);
  }
  absl::StatusOr<v1::SignUserX509CertResponse> SignUserX509Cert(
      const v1::SignUserX509CertRequest& request) override {
    return session_->Call(*stub_, &v1::CaService::Stub::SignUserX509Cert, request);
  }
  absl::StatusOr<v1::GetCaPublicKeysResponse> GetCaPublicKeys(
      const v1::GetCaPublicKeysRequest& request) override {
    return session_->Call(*stub_, &v1::CaService::Stub::GetCaPublicKeys, request);
  }

 private:
  const client::UserSession* const session_;
  const std::unique_ptr<v1::CaService::Stub> stub_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CLIENT_USER_CA_CLIENT_H_
