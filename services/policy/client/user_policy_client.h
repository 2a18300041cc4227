// UserPolicyClient: what a person's client (the jit CLI) asks jit-policy as that person:
// apply, read, list and remove roles. The server decides who may (an admin's rules); errors
// come back with its code and message. GrpcUserPolicyClient calls over a
// client::UserSession (TLS trusting the CA bundle, the session token as a bearer).
// Implementations are thread-safe.
#ifndef JIT_SERVICES_POLICY_CLIENT_USER_POLICY_CLIENT_H_
#define JIT_SERVICES_POLICY_CLIENT_USER_POLICY_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/client/user_session.h"
#include "jit/policy/v1/policy.grpc.pb.h"

namespace jit::policy {

class UserPolicyClient {
 public:
  virtual ~UserPolicyClient() = default;
  virtual absl::StatusOr<common::v1::Role> UpsertRole(const v1::UpsertRoleRequest& request) = 0;
  virtual absl::StatusOr<common::v1::Role> GetRole(const v1::GetRoleRequest& request) = 0;
  virtual absl::StatusOr<v1::ListRolesResponse> ListRoles(const v1::ListRolesRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteRoleResponse> DeleteRole(
      const v1::DeleteRoleRequest& request) = 0;
};

class GrpcUserPolicyClient final : public UserPolicyClient {
 public:
  // `session` is named "policy"; borrowed, must outlive the client.
  explicit GrpcUserPolicyClient(const client::UserSession* session)
      : session_(session), stub_(v1::PolicyService::NewStub(session->channel())) {}

  absl::StatusOr<common::v1::Role> UpsertRole(const v1::UpsertRoleRequest& request) override {
    return session_->Call(*stub_, &v1::PolicyService::Stub::UpsertRole, request);
  }
  absl::StatusOr<common::v1::Role> GetRole(const v1::GetRoleRequest& request) override {
    return session_->Call(*stub_, &v1::PolicyService::Stub::GetRole, request);
  }
  absl::StatusOr<v1::ListRolesResponse> ListRoles(const v1::ListRolesRequest& request) override {
    return session_->Call(*stub_, &v1::PolicyService::Stub::ListRoles, request);
  }
  absl::StatusOr<v1::DeleteRoleResponse> DeleteRole(const v1::DeleteRoleRequest& request) override {
    return session_->Call(*stub_, &v1::PolicyService::Stub::DeleteRole, request);
  }

 private:
  const client::UserSession* const session_;
  const std::unique_ptr<v1::PolicyService::Stub> stub_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_CLIENT_USER_POLICY_CLIENT_H_
