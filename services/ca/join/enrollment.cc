#include "services/ca/join/enrollment.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/absl_string_view.h"
#include "common/auth/spiffe.h"
#include "common/crypto/constant_time.h"
#include "common/pki/csr.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "services/ca/join/join_token.h"
#include "services/ca/service_name.h"

namespace jit::ca::join {
namespace {

using ::jit::common::v1::AuditEvent;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

// The caller's address without its port ("ipv4:10.0.0.5", "ipv6:[::1]").
std::string AddressOf(std::string_view peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos || colon < 5) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

absl::Status CheckNames(absl::string_view field, const std::vector<std::string>& names,
                        bool services) {
  if (names.empty()) return Invalid(field, "at least one name");
  if (names.size() > kMaxAllowedNames) {
    return Invalid(field, absl::StrCat("at most ", kMaxAllowedNames, " names"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (services ? !auth::IsValidServiceName(n) : !auth::IsValidHostName(n)) {
      return Invalid(field, absl::StrCat(services ? "not a service name ([a-z][a-z0-9-]{0,62}): "
                                                  : "not a host name or IPv4 address (lowercase "
                                                    "letters, digits, '.', '-'): ",
                                         QuoteBounded(n)));
    }
    if (std::find(names.begin(), names.begin() + i, n) != names.begin() + i) {
      return Invalid(field, absl::StrCat("named twice: ", QuoteBounded(n)));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ToVector(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

absl::StatusOr<crypto::EvpPkeyPtr> IdentityKey(std::string_view pem) {
  if (pem.empty()) return Invalid("identity_public_key_pem", "required");
  absl::StatusOr<crypto::EvpPkeyPtr> key = pki::ParseClientPublicKey(pem);
  if (!key.ok()) return Invalid("identity_public_key_pem", key.status().message());
  return key;
}

absl::StatusOr<ssh::SshPublicKey> HostKey(std::string_view line) {
  absl::StatusOr<ssh::SshPublicKey> key = ssh::SshPublicKey::FromLine(line);
  if (!key.ok()) return Invalid("host_public_key", key.status().message());
  return key;
}

}  // namespace

Enrollment::Enrollment(JoinStore* store, HostCertSigner host_signer,
                       const pki::CertificateAuthority* internal_ca,
                       policy::PermissionChecker* permissions, audit::AuditOutbox* refusals,
                       RedemptionLimiter* limiter, const Clock* clock, EnrollmentOptions options)
    : store_(store),
      host_signer_(std::move(host_signer)),
      internal_ca_(internal_ca),
      permissions_(permissions),
      refusals_(refusals),
      limiter_(limiter),
      clock_(clock),
      options_(options) {}

absl::StatusOr<v1::CreateJoinTokenResponse> Enrollment::CreateJoinToken(
    const server::Caller& caller, const v1::CreateJoinTokenRequest& request) const {
  ASSIGN_OR_RETURN(std::string kind_name, JoinTokenKindName(request.kind()));
  const std::vector<std::string> names = ToVector(request.allowed_names());
  RETURN_IF_ERROR(
      CheckNames("allowed_names", names, request.kind() == v1::JOIN_TOKEN_KIND_SERVICE));
  absl::Duration ttl = options_.default_token_ttl;
  if (request.has_ttl()) {
    ttl = absl::Seconds(request.ttl().seconds()) + absl::Nanoseconds(request.ttl().nanos());
    if (ttl <= absl::ZeroDuration() || ttl > options_.max_token_ttl) {
      return Invalid("ttl", absl::StrCat("must be more than 0 and at most ",
                                         absl::FormatDuration(options_.max_token_ttl)));
    }
  }
  RETURN_IF_ERROR(permissions_->Check(caller.identity, "cert_authority", "create"));
  ASSIGN_OR_RETURN(NewToken token, GenerateJoinToken());
  const absl::Time now = clock_->Now();
  JoinTokenRecord record{.token_id = token.token_id,
                         .token_hash = token.token_hash,
                         .kind = request.kind(),
                         .allowed_names = names,
                         .creator = caller.actor.actor,
                         .create_time = now,
                         .expire_time = now + ttl};
  ASSIGN_OR_RETURN(
      AuditEvent event,
      audit::NewAuditEvent(kCaService, "join_token.create", now, caller.actor,
                           absl::StrCat("join_token:", token.token_id), AuditEvent::OUTCOME_SUCCESS,
                           absl::StrCat(kind_name, " join token created"),
                           {{"kind", kind_name},
                            {"allowed_names", absl::StrJoin(names, ",")},
                            {"expire_time", Rfc3339(record.expire_time)}}));
  RETURN_IF_ERROR(store_->CreateToken(record, event));
  v1::CreateJoinTokenResponse response;
  response.set_token(std::string(token.token.Reveal()));
  response.set_token_id(token.token_id);
  SetProtoTimestamp(record.expire_time, response.mutable_expire_time());
  return response;
}

absl::Status Enrollment::Refused(const server::Caller& caller, std::string_view token_id,
                                 absl::Status refusal) const {
  audit::AppendOrLog(
      *refusals_,
      audit::NewAuditEvent(kCaService, "join_token.refuse", clock_->Now(), caller.actor,
                           token_id.empty() ? std::string("join_token:?")
                                            : absl::StrCat("join_token:", AsAbsl(token_id)),
                           AuditEvent::OUTCOME_DENIED, AsStd(refusal.message())));
  return refusal;
}

absl::StatusOr<JoinTokenRecord> Enrollment::Redeem(const server::Caller& caller,
                                                   std::string_view token, v1::JoinTokenKind kind,
                                                   const std::vector<std::string>& names,
                                                   std::string_view redeemed_as,
                                                   const std::optional<EnrolledHost>& host) const {
  absl::StatusOr<ParsedToken> parsed = ParseJoinToken(token);
  if (!parsed.ok()) return Refused(caller, "", parsed.status());
  const absl::Time now = clock_->Now();
  const std::string kind_name = *JoinTokenKindName(kind);
  ASSIGN_OR_RETURN(AuditEvent event,
                   audit::NewAuditEvent(
                       kCaService, "join_token.redeem", now, caller.actor,
                       absl::StrCat("join_token:", parsed->token_id), AuditEvent::OUTCOME_SUCCESS,
                       absl::StrCat(kind_name, " join token redeemed as ", AsAbsl(redeemed_as)),
                       {{"kind", kind_name},
                        {"redeemed_as", std::string(redeemed_as)},
                        {"names", absl::StrJoin(names, ",")}}));
  auto check = [&](const JoinTokenRecord& r) -> absl::Status {
    if (!crypto::ConstantTimeEquals(r.token_hash, parsed->token_hash)) {
      return absl::PermissionDeniedError("join token refused: unknown token");
    }
    if (r.redeem_time.has_value()) {
      return absl::PermissionDeniedError("join token refused: already used");
    }
    if (now >= r.expire_time) {
      return absl::PermissionDeniedError(
          absl::StrCat("join token refused: expired at ", Rfc3339(r.expire_time)));
    }
    if (r.kind != kind) {
      return absl::FailedPreconditionError(
          absl::StrCat("join token refused: it is a ", *JoinTokenKindName(r.kind),
                       " token, this needs a ", kind_name, " token"));
    }
    for (const std::string& n : names) {
      if (std::find(r.allowed_names.begin(), r.allowed_names.end(), n) == r.allowed_names.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "join token refused: ", QuoteBounded(n), " is not among its allowed names (",
            absl::StrJoin(r.allowed_names, ", "), ")"));
      }
    }
    return absl::OkStatus();
  };
  absl::StatusOr<JoinTokenRecord> redeemed =
      store_->Redeem(parsed->token_id, now, redeemed_as, check, host, event);
  if (absl::IsNotFound(redeemed.status())) {
    return Refused(caller, parsed->token_id,
                   absl::PermissionDeniedError("join token refused: unknown token"));
  }
  if (absl::IsPermissionDenied(redeemed.status()) ||
      absl::IsFailedPrecondition(redeemed.status())) {
    return Refused(caller, parsed->token_id, redeemed.status());
  }
  return redeemed;
}

absl::StatusOr<std::string> Enrollment::IssueHostIdentity(std::string_view name, EVP_PKEY* key,
                                                          absl::Time now) const {
  return pki::IssueCertificateForKey(*internal_ca_, key,
                                     {.common_name = std::string(name),
                                      .uri_sans = {auth::HostSpiffeId(name)},
                                      .validity = options_.host_cert_ttl,
                                      .server_auth = false,
                                      .client_auth = true},
                                     now);
}

absl::StatusOr<v1::EnrollHostResponse> Enrollment::EnrollHost(
    const server::Caller& caller, const v1::EnrollHostRequest& request) const {
  RETURN_IF_ERROR(limiter_->Admit(AddressOf(caller.actor.remote_addr)));
  ASSIGN_OR_RETURN(ssh::SshPublicKey host_key, HostKey(request.host_public_key()));
  const std::vector<std::string> principals = ToVector(request.principals());
  RETURN_IF_ERROR(CheckNames("principals", principals, /*services=*/false));
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr identity_key, IdentityKey(request.identity_public_key_pem()));
  if (internal_ca_ == nullptr) {
    return absl::FailedPreconditionError(
        "no internal CA: start the ca service once with --internal_ca_cert_file and "
        "--internal_ca_key_file");
  }
  const std::string& name = principals.front();
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::string identity, IssueHostIdentity(name, identity_key.get(), now));
  const std::string redeemed_as = absl::StrCat("host:", name);
  EnrolledHost host{.name = name,
                    .principals = principals,
                    .host_key_fingerprint = host_key.Fingerprint(),
                    .enroll_time = now};
  ASSIGN_OR_RETURN(JoinTokenRecord token,
                   Redeem(caller, request.join_token(), v1::JOIN_TOKEN_KIND_HOST, principals,
                          redeemed_as, host));
  audit::AuditActor actor = caller.actor;
  actor.actor = redeemed_as;
  ASSIGN_OR_RETURN(v1::SignHostSshCertResponse cert,
                   host_signer_(host_key, principals, options_.host_cert_ttl, redeemed_as, actor));
  v1::EnrollHostResponse response;
  response.set_host_certificate(cert.certificate());
  *response.mutable_issued() = cert.issued();
  response.set_identity_certificate_pem(identity);
  ASSIGN_OR_RETURN(std::string ca_pem, pki::CertificateToPem(internal_ca_->cert.get()));
  response.set_internal_ca_bundle_pem(ca_pem);
  SetProtoTimestamp(now + options_.host_cert_ttl, response.mutable_identity_expire_time());
  return response;
}

absl::StatusOr<v1::JoinServiceResponse> Enrollment::JoinService(
    const server::Caller& caller, const v1::JoinServiceRequest& request) const {
  RETURN_IF_ERROR(limiter_->Admit(AddressOf(caller.actor.remote_addr)));
  if (!auth::IsValidServiceName(request.service_name())) {
    return Invalid("service_name", absl::StrCat("not a service name ([a-z][a-z0-9-]{0,62}): ",
                                                QuoteBounded(request.service_name())));
  }
  absl::StatusOr<pki::CertificateRequest> csr = pki::ParseCsr(request.csr_pem());
  if (!csr.ok()) return Invalid("csr_pem", csr.status().message());
  if (request.dns_names_size() > 8 || request.ip_addresses_size() > 8) {
    return Invalid("dns_names", "at most 8 DNS names and 8 IP addresses");
  }
  if (internal_ca_ == nullptr) {
    return absl::FailedPreconditionError(
        "no internal CA: start the ca service once with --internal_ca_cert_file and "
        "--internal_ca_key_file");
  }
  const absl::Time now = clock_->Now();
  pki::LeafOptions leaf{.common_name = request.service_name(),
                        .uri_sans = {auth::ServiceSpiffeId(request.service_name())},
                        .dns_sans = ToVector(request.dns_names()),
                        .ip_sans = ToVector(request.ip_addresses()),
                        .validity = options_.service_cert_ttl};
  // Signed before the token is spent, so that bad names refuse without using it.
  absl::StatusOr<std::string> cert =
      pki::IssueCertificateForKey(*internal_ca_, csr->public_key.get(), leaf, now);
  if (!cert.ok()) return Invalid("dns_names", cert.status().message());
  RETURN_IF_ERROR(Redeem(caller, request.join_token(), v1::JOIN_TOKEN_KIND_SERVICE,
                         {request.service_name()}, absl::StrCat("service:", request.service_name()),
                         std::nullopt)
                      .status());
  ASSIGN_OR_RETURN(crypto::X509Ptr parsed, pki::ParseCertificatePem(*cert));
  ASSIGN_OR_RETURN(pki::CertificateInfo info, pki::DescribeCertificate(parsed.get()));
  v1::JoinServiceResponse response;
  response.set_certificate_pem(*cert);
  ASSIGN_OR_RETURN(std::string ca_pem, pki::CertificateToPem(internal_ca_->cert.get()));
  response.set_ca_bundle_pem(ca_pem);
  SetProtoTimestamp(info.not_after, response.mutable_expire_time());
  return response;
}

absl::StatusOr<v1::RenewHostResponse> Enrollment::RenewHost(
    const server::Caller& caller, const v1::RenewHostRequest& request) const {
  if (caller.identity.kind() != jit::common::v1::Identity::KIND_HOST) {
    return absl::PermissionDeniedError("RenewHost is for enrolled hosts");
  }
  ASSIGN_OR_RETURN(ssh::SshPublicKey host_key, HostKey(request.host_public_key()));
  crypto::EvpPkeyPtr identity_key;
  if (!request.identity_public_key_pem().empty()) {
    ASSIGN_OR_RETURN(identity_key, IdentityKey(request.identity_public_key_pem()));
  }
  if (internal_ca_ == nullptr) {
    return absl::FailedPreconditionError("no internal CA");
  }
  ASSIGN_OR_RETURN(std::optional<EnrolledHost> host, store_->GetHost(caller.identity.name()));
  if (!host.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("host ", caller.identity.name(), " is not enrolled; enrol it again"));
  }
  if (host_key.Fingerprint() != host->host_key_fingerprint) {
    return absl::PermissionDeniedError(
        absl::StrCat("host_public_key: not the key host ", host->name, " enrolled with (",
                     host->host_key_fingerprint, "); enrol again with a new join token"));
  }
  const absl::Time now = clock_->Now();
  const std::string owner = absl::StrCat("host:", host->name);
  ASSIGN_OR_RETURN(
      v1::SignHostSshCertResponse cert,
      host_signer_(host_key, host->principals, options_.host_cert_ttl, owner, caller.actor));
  v1::RenewHostResponse response;
  response.set_host_certificate(cert.certificate());
  *response.mutable_issued() = cert.issued();
  if (identity_key != nullptr) {
    ASSIGN_OR_RETURN(std::string identity, IssueHostIdentity(host->name, identity_key.get(), now));
    response.set_identity_certificate_pem(identity);
    SetProtoTimestamp(now + options_.host_cert_ttl, response.mutable_identity_expire_time());
  }
  return response;
}

}  // namespace jit::ca::join
