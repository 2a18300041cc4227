// UserAuditClient: what a person's client (the jit CLI) asks jit-audit as that person:
// search the events and verify the hash chain. The server decides who may read what (an
// audit reader's role); errors come back with its code and message. GrpcUserAuditClient
// calls over a client::UserSession (TLS trusting the CA bundle, the session token as a
// bearer). Implementations are thread-safe.
#ifndef JIT_SERVICES_AUDIT_CLIENT_USER_AUDIT_CLIENT_H_
#define JIT_SERVICES_AUDIT_CLIENT_USER_AUDIT_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/client/user_session.h"
#include "jit/audit/v1/audit.grpc.pb.h"

namespace jit::audit {

class UserAuditClient {
 public:
  virtual ~UserAuditClient() = default;
  virtual absl::StatusOr<v1::SearchEventsResponse> SearchEvents(
      const v1::SearchEventsRequest& request) = 0;
  virtual absl::StatusOr<v1::VerifyChainResponse> VerifyChain(
      const v1::VerifyChainRequest& request) = 0;
};

class GrpcUserAuditClient final : public UserAuditClient {
 public:
  // `session` is named "audit"; borrowed, must outlive the client.
  explicit GrpcUserAuditClient(const client::UserSession* session)
      : session_(session), stub_(v1::AuditService::NewStub(session->channel())) {}

  absl::StatusOr<v1::SearchEventsResponse> SearchEvents(
      const v1::SearchEventsRequest& request) override {
    return session_->Call(*stub_, &v1::AuditService::Stub::SearchEvents, request);
  }
  absl::StatusOr<v1::VerifyChainResponse> VerifyChain(
      const v1::VerifyChainRequest& request) override {
    return session_->Call(*stub_, &v1::AuditService::Stub::VerifyChain, request);
  }

 private:
  const client::UserSession* const session_;
  const std::unique_ptr<v1::AuditService::Stub> stub_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_CLIENT_USER_AUDIT_CLIENT_H_
