#include "common/auth/call_authorizer.h"

#include "common/logging.h"

namespace jit::auth {

using jit::common::v1::Identity;

const char* TokenVerificationResultName(TokenVerificationResult result) {
  switch (result) {
    case TokenVerificationResult::kValid:
      return "valid";
    case TokenVerificationResult::kExpired:
      return "expired";
    case TokenVerificationResult::kRevoked:
      return "revoked";
    case TokenVerificationResult::kInvalid:
      return "invalid";
    case TokenVerificationResult::kUnavailable:
      return "unavailable";
  }
  return "invalid";
}

TokenVerificationResult ClassifyTokenVerification(const absl::Status& status) {
  if (status.ok()) return TokenVerificationResult::kValid;
  if (absl::IsUnauthenticated(status)) {
    if (status.message() == "token expired") return TokenVerificationResult::kExpired;
    if (status.message() == "session revoked") return TokenVerificationResult::kRevoked;
    return TokenVerificationResult::kInvalid;
  }
  if (absl::IsUnavailable(status)) return TokenVerificationResult::kUnavailable;
  return TokenVerificationResult::kInvalid;
}

Identity ServiceIdentity(const PeerIdentity& peer) {
  Identity id;
  id.set_kind(peer.id.kind == SpiffeId::Kind::kHost ? Identity::KIND_HOST : Identity::KIND_SERVICE);
  id.set_name(peer.id.name);
  id.set_spiffe_id(peer.spiffe_uri);
  id.set_auth_method("mtls");
  id.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(peer.not_after));
  return id;
}

absl::StatusOr<std::unique_ptr<CallAuthorizer>> CallAuthorizer::Create(
    const MethodAuthorizationTable* table, TokenVerifier* tokens,
    const PeerCertificateVerifier* peers, TokenVerificationObserver* observer) {
  if (table == nullptr || tokens == nullptr) {
    return absl::InvalidArgumentError("call authorizer needs a method table and a token verifier");
  }
  return std::unique_ptr<CallAuthorizer>(new CallAuthorizer(table, tokens, peers, observer));
}

absl::StatusOr<PeerIdentity> CallAuthorizer::PeerOf(const CallCredentials& credentials) const {
  if (credentials.peer_cert_pem.empty()) return absl::NotFoundError("no peer certificate");
  if (peers_ == nullptr) return absl::UnauthenticatedError("service certificates not accepted");
  return peers_->Verify(credentials.peer_cert_pem);
}

absl::StatusOr<Identity> CallAuthorizer::Authorize(std::string_view full_method,
                                                   const CallCredentials& credentials,
                                                   bool record_token_result) const {
  const MethodRule* rule = table_->Find(full_method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError("method has no authorization rule: " + LogSafe(full_method));
  }
  if (rule->public_access) {
    absl::StatusOr<PeerIdentity> peer = PeerOf(credentials);
    return peer.ok() ? ServiceIdentity(*peer) : Identity();
  }
  if (credentials.authorization.size() > 1) {
    return absl::UnauthenticatedError("more than one authorization header");
  }
  if (credentials.authorization.size() == 1) {
    absl::StatusOr<std::shared_ptr<const Identity>> user =
        tokens_->VerifyAuthorizationHeader(credentials.authorization[0]);
    if (record_token_result && observer_ != nullptr) {
      observer_->Record(ClassifyTokenVerification(user.status()));
    }
    if (!user.ok()) return user.status();
    if (!rule->users) {
      return absl::PermissionDeniedError("users may not call " + std::string(full_method));
    }
    return **user;
  }
  absl::StatusOr<PeerIdentity> peer = PeerOf(credentials);
  if (absl::IsNotFound(peer.status())) {
    return absl::UnauthenticatedError(
        rule->users ? "missing bearer token"
                    : "missing credentials: a service certificate is required");
  }
  if (!peer.ok()) return peer.status();
  if (peer->id.kind == SpiffeId::Kind::kHost) {
    if (!rule->hosts) {
      return absl::PermissionDeniedError("hosts may not call " + std::string(full_method));
    }
    return ServiceIdentity(*peer);
  }
  if (peer->id.kind != SpiffeId::Kind::kService) {
    // A person's client certificate is not a session: it never authorizes by itself.
    if (rule->users) return absl::UnauthenticatedError("missing bearer token");
    return absl::PermissionDeniedError("only services may call " + std::string(full_method));
  }
  if (!rule->AllowsService(peer->id.name)) {
    return absl::PermissionDeniedError("service " + peer->id.name + " may not call " +
                                       std::string(full_method));
  }
  return ServiceIdentity(*peer);
}

}  // namespace jit::auth
