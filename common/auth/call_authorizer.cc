#include "common/auth/call_authorizer.h"

#include "common/logging.h"

namespace jit::auth {

using jit::common::v1::Identity;

Identity ServiceIdentity(const PeerIdentity& peer) {
  Identity id;
  id.set_kind(Identity::KIND_SERVICE);
  id.set_name(peer.id.name);
  id.set_spiffe_id(peer.spiffe_uri);
  id.set_auth_method("mtls");
  id.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(peer.not_after));
  return id;
}

absl::StatusOr<std::unique_ptr<CallAuthorizer>> CallAuthorizer::Create(
    const MethodAuthorizationTable* table, TokenVerifier* tokens,
    const PeerCertificateVerifier* peers) {
  if (table == nullptr || tokens == nullptr) {
    return absl::InvalidArgumentError("call authorizer needs a method table and a token verifier");
  }
  return std::unique_ptr<CallAuthorizer>(new CallAuthorizer(table, tokens, peers));
}

absl::StatusOr<PeerIdentity> CallAuthorizer::PeerOf(const CallCredentials& credentials) const {
  if (credentials.peer_cert_pem.empty()) return absl::NotFoundError("no peer certificate");
  if (peers_ == nullptr) return absl::UnauthenticatedError("service certificates not accepted");
  return peers_->Verify(credentials.peer_cert_pem);
}

absl::StatusOr<Identity> CallAuthorizer::Authorize(std::string_view full_method,
                                                   const CallCredentials& credentials) const {
  const MethodRule* rule = table_->Find(full_method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError("method has no authorization rule: " +
                                       LogSafe(full_method));
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
    if (!user.ok()) return user.status();
    if (!rule->users) {
      return absl::PermissionDeniedError("users may not call " + std::string(full_method));
    }
    return **user;
  }
  absl::StatusOr<PeerIdentity> peer = PeerOf(credentials);
  if (absl::IsNotFound(peer.status())) {
    return absl::UnauthenticatedError(
        rule->users ? "missing bearer token" : "missing credentials: a service certificate is required");
  }
  if (!peer.ok()) return peer.status();
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
