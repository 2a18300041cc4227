// UserRequestsClient: what a person's client (the jit CLI) asks jit-requests as that person:
// create, read, list, review, cancel requests and revoke grants. The server decides who may
// do what (a requester cannot approve their own request); errors come back with its code
// and message. GrpcUserRequestsClient calls over a client::UserSession (TLS trusting the CA
// bundle, the session token as a bearer). Implementations are thread-safe.
#ifndef JIT_SERVICES_REQUESTS_CLIENT_USER_REQUESTS_CLIENT_H_
#define JIT_SERVICES_REQUESTS_CLIENT_USER_REQUESTS_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/client/user_session.h"
#include "jit/requests/v1/requests.grpc.pb.h"

namespace jit::requests {

class UserRequestsClient {
 public:
  virtual ~UserRequestsClient() = default;
  virtual absl::StatusOr<common::v1::AccessRequest> CreateRequest(
      const v1::CreateRequestRequest& request) = 0;
  virtual absl::StatusOr<common::v1::AccessRequest> GetRequest(
      const v1::GetRequestRequest& request) = 0;
  virtual absl::StatusOr<v1::ListRequestsResponse> ListRequests(
      const v1::ListRequestsRequest& request) = 0;
  virtual absl::StatusOr<common::v1::AccessRequest> ReviewRequest(
      const v1::ReviewRequestRequest& request) = 0;
  virtual absl::StatusOr<common::v1::AccessRequest> CancelRequest(
      const v1::CancelRequestRequest& request) = 0;
  virtual absl::StatusOr<common::v1::Grant> RevokeGrant(const v1::RevokeGrantRequest& request) = 0;
};

class GrpcUserRequestsClient final : public UserRequestsClient {
 public:
  // `session` is named "requests"; borrowed, must outlive the client.
  explicit GrpcUserRequestsClient(const client::UserSession* session)
      : session_(session), stub_(v1::RequestsService::NewStub(session->channel())) {}

  absl::StatusOr<common::v1::AccessRequest> CreateRequest(
      const v1::CreateRequestRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::CreateRequest, request);
  }
  absl::StatusOr<common::v1::AccessRequest> GetRequest(
      const v1::GetRequestRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::GetRequest, request);
  }
  absl::StatusOr<v1::ListRequestsResponse> ListRequests(
      const v1::ListRequestsRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::ListRequests, request);
  }
  absl::StatusOr<common::v1::AccessRequest> ReviewRequest(
      const v1::ReviewRequestRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::ReviewRequest, request);
  }
  absl::StatusOr<common::v1::AccessRequest> CancelRequest(
      const v1::CancelRequestRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::CancelRequest, request);
  }
  absl::StatusOr<common::v1::Grant> RevokeGrant(const v1::RevokeGrantRequest& request) override {
    return session_->Call(*stub_, &v1::RequestsService::Stub::RevokeGrant, request);
  }

 private:
  const client::UserSession* const session_;
  const std::unique_ptr<v1::RequestsService::Stub> stub_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_CLIENT_USER_REQUESTS_CLIENT_H_
