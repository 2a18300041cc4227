#include "services/ca/ca_service_impl.h"

namespace jit::ca {

using server::Caller;

namespace {

absl::Status NoEnrollment() {
  return absl::FailedPreconditionError("enrolment is not configured in this server");
}

}  // namespace

CaServiceImpl::CaServiceImpl(const CertIssuer* issuer, const CertRevoker* revoker,
                             const CaRotator* rotator, server::CallerIdentityFn caller_identity,
                             const join::Enrollment* enrollment)
    : issuer_(issuer),
      revoker_(revoker),
      rotator_(rotator),
      enrollment_(enrollment),
      handler_(server::UnaryHandler::For<v1::CaService>(std::move(caller_identity))) {}

grpc::Status CaServiceImpl::SignUserSshCert(grpc::ServerContext* context,
                                            const v1::SignUserSshCertRequest* request,
                                            v1::SignUserSshCertResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return issuer_->SignUserSshCert(caller.identity, caller.actor, *request);
  });
}

grpc::Status CaServiceImpl::SignHostSshCert(grpc::ServerContext* context,
                                            const v1::SignHostSshCertRequest* request,
                                            v1::SignHostSshCertResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return issuer_->SignHostSshCert(caller.identity, caller.actor, *request);
  });
}

grpc::Status CaServiceImpl::SignUserX509Cert(grpc::ServerContext* context,
                                             const v1::SignUserX509CertRequest* request,
                                             v1::SignUserX509CertResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return issuer_->SignUserX509Cert(caller.identity, caller.actor, *request);
  });
}

grpc::Status CaServiceImpl::GetCaPublicKeys(grpc::ServerContext* context,
                                            const v1::GetCaPublicKeysRequest* request,
                                            v1::GetCaPublicKeysResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&] { return issuer_->GetCaPublicKeys(*request); });
}

grpc::Status CaServiceImpl::ListIssuedCerts(grpc::ServerContext* context,
                                            const v1::ListIssuedCertsRequest* request,
                                            v1::ListIssuedCertsResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return issuer_->ListIssuedCerts(caller.identity, *request);
  });
}

grpc::Status CaServiceImpl::GetRevocationList(grpc::ServerContext* context,
                                              const v1::GetRevocationListRequest* request,
                                              v1::GetRevocationListResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&] { return revoker_->GetRevocationList(*request); });
}

grpc::Status CaServiceImpl::RevokeCerts(grpc::ServerContext* context,
                                        const v1::RevokeCertsRequest* request,
                                        v1::RevokeCertsResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return revoker_->RevokeCerts(caller.identity, caller.actor, *request);
  });
}

grpc::Status CaServiceImpl::RotateCa(grpc::ServerContext* context,
                                     const v1::RotateCaRequest* request,
                                     v1::RotateCaResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return rotator_->RotateCa(caller.identity, caller.actor, *request);
  });
}

grpc::Status CaServiceImpl::CreateJoinToken(grpc::ServerContext* context,
                                            const v1::CreateJoinTokenRequest* request,
                                            v1::CreateJoinTokenResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<v1::CreateJoinTokenResponse> {
                        if (enrollment_ == nullptr) return NoEnrollment();
                        return enrollment_->CreateJoinToken(caller, *request);
                      });
}

grpc::Status CaServiceImpl::EnrollHost(grpc::ServerContext* context,
                                       const v1::EnrollHostRequest* request,
                                       v1::EnrollHostResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<v1::EnrollHostResponse> {
                        if (enrollment_ == nullptr) return NoEnrollment();
                        return enrollment_->EnrollHost(caller, *request);
                      });
}

grpc::Status CaServiceImpl::JoinService(grpc::ServerContext* context,
                                        const v1::JoinServiceRequest* request,
                                        v1::JoinServiceResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<v1::JoinServiceResponse> {
                        if (enrollment_ == nullptr) return NoEnrollment();
                        return enrollment_->JoinService(caller, *request);
                      });
}

grpc::Status CaServiceImpl::RenewHost(grpc::ServerContext* context,
                                      const v1::RenewHostRequest* request,
                                      v1::RenewHostResponse* response) {
  return handler_.Run(*context, __func__, response,
                      [&](const Caller& caller) -> absl::StatusOr<v1::RenewHostResponse> {
                        if (enrollment_ == nullptr) return NoEnrollment();
                        return enrollment_->RenewHost(caller, *request);
                      });
}

}  // namespace jit::ca
