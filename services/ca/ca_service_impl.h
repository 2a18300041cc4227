// CaServiceImpl: the gRPC adapter of jit.ca.v1.CaService. Each method hands the logic
// (CertIssuer) to common/server's UnaryHandler, which finds the caller (the session token,
// verified before the handler runs, per common/auth/method_table.cc) and converts the status
// in one place. No rule lives here. GetRevocationList and RevokeCerts go to the CertRevoker,
// RotateCa to the CaRotator, the enrolment RPCs (CreateJoinToken, EnrollHost, JoinService,
// RenewHost) to join::Enrollment; built without one (benches) they answer FAILED_PRECONDITION.
// Thread-safe; what it is given is borrowed and must outlive the service.
#ifndef JIT_SERVICES_CA_CA_SERVICE_IMPL_H_
#define JIT_SERVICES_CA_CA_SERVICE_IMPL_H_

#include "common/server/unary_handler.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "services/ca/ca_rotator.h"
#include "services/ca/cert_issuer.h"
#include "services/ca/cert_revoker.h"
#include "services/ca/join/enrollment.h"

namespace jit::ca {

class CaServiceImpl final : public v1::CaService::Service {
 public:
  CaServiceImpl(const CertIssuer* issuer, const CertRevoker* revoker, const CaRotator* rotator,
                server::CallerIdentityFn caller_identity,
                const join::Enrollment* enrollment = nullptr);

  grpc::Status SignUserSshCert(grpc::ServerContext* context,
                               const v1::SignUserSshCertRequest* request,
                               v1::SignUserSshCertResponse* response) override;
  grpc::Status SignHostSshCert(grpc::ServerContext* context,
                               const v1::SignHostSshCertRequest* request,
                               v1::SignHostSshCertResponse* response) override;
  grpc::Status SignUserX509Cert(grpc::ServerContext* context,
                                const v1::SignUserX509CertRequest* request,
                                v1::SignUserX509CertResponse* response) override;
  grpc::Status GetCaPublicKeys(grpc::ServerContext* context,
                               const v1::GetCaPublicKeysRequest* request,
                               v1::GetCaPublicKeysResponse* response) override;
  grpc::Status ListIssuedCerts(grpc::ServerContext* context,
                               const v1::ListIssuedCertsRequest* request,
                               v1::ListIssuedCertsResponse* response) override;
  grpc::Status GetRevocationList(grpc::ServerContext* context,
                                 const v1::GetRevocationListRequest* request,
                                 v1::GetRevocationListResponse* response) override;
  grpc::Status RevokeCerts(grpc::ServerContext* context, const v1::RevokeCertsRequest* request,
                           v1::RevokeCertsResponse* response) override;
  grpc::Status RotateCa(grpc::ServerContext* context, const v1::RotateCaRequest* request,
                        v1::RotateCaResponse* response) override;

  grpc::Status CreateJoinToken(grpc::ServerContext* context,
                               const v1::CreateJoinTokenRequest* request,
                               v1::CreateJoinTokenResponse* response) override;
  grpc::Status EnrollHost(grpc::ServerContext* context, const v1::EnrollHostRequest* request,
                          v1::EnrollHostResponse* response) override;
  grpc::Status JoinService(grpc::ServerContext* context, const v1::JoinServiceRequest* request,
                           v1::JoinServiceResponse* response) override;
  grpc::Status RenewHost(grpc::ServerContext* context, const v1::RenewHostRequest* request,
                         v1::RenewHostResponse* response) override;

 private:
  const CertIssuer* const issuer_;
  const CertRevoker* const revoker_;
  const CaRotator* const rotator_;
  const join::Enrollment* const enrollment_;
  const server::UnaryHandler handler_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_SERVICE_IMPL_H_
