#include "services/ca/cert_issuer.h"

#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"
#include "common/pki/client_cert.h"
#include "common/pki/csr.h"
#include "common/proto_time.h"
#include "common/ssh/certificate.h"
#include "common/ssh/public_key.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "services/ca/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::AuditEvent;
using ::jit::common::v1::Grant;
using ::jit::common::v1::IssuedCertificate;

constexpr int kSerialAttempts = 3;
constexpr int kMaxGrantPages = 10;
// Critical options a role may pin (through policy's ssh_extensions); everything else there
// is an extension.
constexpr const char* kCriticalOptions[] = {"source-address", "force-command"};

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string Quoted(std::string_view s) { return QuoteBounded(s); }

std::string AllowedList(const google::protobuf::RepeatedPtrField<std::string>& allowed) {
  if (allowed.empty()) return "none";
  std::vector<std::string> q;
  for (const std::string& a : allowed) q.push_back(Quoted(a));
  return absl::StrJoin(q, ", ");
}

// A value for key ids, principals and lists joined with ',' : printable ASCII only.
bool PrintableWithout(std::string_view s, std::string_view forbidden) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e || forbidden.find(c) != std::string_view::npos) return false;
  }
  return true;
}

absl::Status CheckGrantIds(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  if (ids.size() > kMaxGrantIds) {
    return Invalid("grant_ids", absl::StrCat("at most ", kMaxGrantIds, " grants"));
  }
  for (int i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    if (id.empty() || id.size() > kMaxGrantIdSize || !PrintableWithout(id, ",/")) {
      return Invalid("grant_ids", absl::StrCat("not a grant id: ", Quoted(id)));
    }
    for (int j = 0; j < i; ++j) {
      if (ids[j] == id) return Invalid("grant_ids", absl::StrCat("repeated: ", Quoted(id)));
    }
  }
  return absl::OkStatus();
}

// nullopt when unset; INVALID_ARGUMENT when zero, negative or malformed.
absl::StatusOr<std::optional<absl::Duration>> RequestedTtl(bool has_ttl,
                                                           const google::protobuf::Duration& ttl) {
  if (!has_ttl) return std::nullopt;
  if (ttl.nanos() <= -1'000'000'000 || ttl.nanos() >= 1'000'000'000 ||
      (ttl.seconds() > 0 && ttl.nanos() < 0) || (ttl.seconds() < 0 && ttl.nanos() > 0) ||
      ttl.seconds() > 315'576'000'000) {
    return Invalid("ttl", "not a valid duration");
  }
  const absl::Duration d = absl::Seconds(ttl.seconds()) + absl::Nanoseconds(ttl.nanos());
  if (d <= absl::ZeroDuration()) return Invalid("ttl", "must be positive");
  return d;
}

absl::Status CheckPrincipals(absl::string_view field,
                             const google::protobuf::RepeatedPtrField<std::string>& principals) {
  if (principals.size() > static_cast<int>(ssh::kMaxPrincipals)) {
    return Invalid(field, absl::StrCat("at most ", ssh::kMaxPrincipals));
  }
  for (const std::string& p : principals) {
    if (p.empty() || p.size() > ssh::kMaxPrincipalSize || !PrintableWithout(p, ",")) {
      return Invalid(field, absl::StrCat("not a valid principal: ", Quoted(p)));
    }
  }
  return absl::OkStatus();
}

// A host name or address: letters, digits, '.', '-', '_', ':' (IPv6), no wildcard.
absl::Status CheckHostPrincipals(const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (names.empty()) return Invalid("principals", "at least one host name or address");
  RETURN_IF_ERROR(CheckPrincipals("principals", names));
  for (const std::string& n : names) {
    for (char c : n) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == ':';
      if (!ok)
        return Invalid("principals", absl::StrCat("not a host name or address: ", Quoted(n)));
    }
  }
  return absl::OkStatus();
}

// The IP address of a gRPC peer ("ipv4:10.0.0.5:41234", "ipv6:[::1]:41234"); "" when it is
// none (a Unix socket, an unknown form).
std::string PeerIp(std::string_view peer) {
  std::string_view rest;
  if (peer.substr(0, 5) == "ipv4:") {
    rest = peer.substr(5);
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return "";
    rest = rest.substr(0, colon);
  } else if (peer.substr(0, 5) == "ipv6:") {
    rest = peer.substr(5);
    if (rest.empty() || rest.front() != '[') return "";
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return "";
    rest = rest.substr(1, close - 1);
    const size_t zone = rest.find('%');  // a link-local zone: not part of the address
    if (zone != std::string_view::npos) rest = rest.substr(0, zone);
  } else {
    return "";
  }
  if (rest.empty()) return "";
  for (char c : rest) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == '.' || c == ':';
    if (!ok) return "";
  }
  return std::string(rest);
}

absl::StatusOr<uint64_t> RandomSerial() {
  for (;;) {
    ASSIGN_OR_RETURN(std::string bytes, crypto::RandomBytes(8));
    uint64_t v = 0;
    std::memcpy(&v, bytes.data(), sizeof(v));
    if (v != 0) return v;
  }
}

absl::StatusOr<std::string> SpkiFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return absl::InternalError("cannot encode the public key");
  std::string spki(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  return absl::StrCat(
      "SHA256:", crypto::Base64Encode(crypto::Sha256String(spki), crypto::Base64Padding::kWithout));
}

// Runs `sign`, timing it into the signing histogram.
template <typename F>
auto Timed(CaMetrics* metrics, CaKind kind, F&& sign) {
  const auto start = std::chrono::steady_clock::now();
  auto result = sign();
  if (metrics != nullptr) {
    metrics->RecordSigning(kind, absl::FromChrono(std::chrono::steady_clock::now() - start));
  }
  return result;
}

template <typename T>
T Counted(CaMetrics* metrics, CaKind kind, T result) {
  if (metrics != nullptr) {
    metrics->RecordIssue(kind, IssueResultOf(result.status()));
  }
  return result;
}

std::string GrantWhy(const Grant& g, absl::Time now) {
  if (g.has_revoke_time()) return "has been revoked";
  if (!g.active()) return "is not active";
  if (!g.has_expire_time() || FromProtoTimestamp(g.expire_time()) <= now) return "has ended";
  if (!g.has_start_time() || FromProtoTimestamp(g.start_time()) > now) return "has not started";
  return "";
}

void AddUnique(std::vector<std::string>* out, const std::string& v) {
  if (std::find(out->begin(), out->end(), v) == out->end()) out->push_back(v);
}

}  // namespace

CertIssuer::CertIssuer(const CaKeyring* keyring, IssuedCertStore* store,
                       policy::PolicyClient* policy, requests::RequestsClient* requests,
                       policy::PermissionChecker* permissions, const Clock* clock,
                       CaMetrics* metrics, CertIssuerOptions options)
    : keyring_(keyring),
      store_(store),
      policy_(policy),
      requests_(requests),
      permissions_(permissions),
      clock_(clock),
      metrics_(metrics),
      options_(options) {}

absl::Status CertIssuer::Refuse(RefusalReason reason, std::string message) const {
  if (metrics_ != nullptr) metrics_->RecordRefusal(reason);
  return absl::PermissionDeniedError(std::move(message));
}

absl::StatusOr<CertIssuer::Entitlement> CertIssuer::Entitle(
    const Identity& caller, const std::vector<std::string>& grant_ids, absl::Time now) const {
  if (caller.kind() != Identity::KIND_USER || caller.name().empty()) {
    return Refuse(RefusalReason::kPermission, "user certificates are issued to people only");
  }
  if (!caller.has_expire_time() || FromProtoTimestamp(caller.expire_time()) <= now) {
    return Refuse(RefusalReason::kExpiredSession, "the session has expired");
  }
  Entitlement e;
  e.not_after = FromProtoTimestamp(caller.expire_time());
  for (const std::string& role : caller.roles()) AddUnique(&e.roles, role);
  if (!grant_ids.empty()) {
    std::map<std::string, Grant> found;
    requests::v1::ListActiveGrantsRequest list;
    list.set_user(caller.name());
    list.set_page_size(static_cast<int>(grant_ids.size()));
    for (const std::string& id : grant_ids) list.add_ids(id);
    for (int page = 0; page < kMaxGrantPages; ++page) {
      ASSIGN_OR_RETURN(requests::v1::ListActiveGrantsResponse got,
                       requests_->ListActiveGrants(list));
      for (Grant& g : *got.mutable_grants()) {
        const std::string id = g.id();
        found.emplace(id, std::move(g));
      }
      if (got.next_page_token().empty()) break;
      list.set_page_token(got.next_page_token());
    }
    for (const std::string& id : grant_ids) {
      auto it = found.find(id);
      if (it == found.end()) {
        return Refuse(RefusalReason::kGrant,
                      absl::StrCat("grant ", Quoted(id), " is not an active grant of ",
                                   Quoted(caller.name())));
      }
      const Grant& g = it->second;
      if (g.user() != caller.name()) {
        return Refuse(RefusalReason::kGrant,
                      absl::StrCat("grant ", Quoted(id), " belongs to another user"));
      }
      if (std::string why = GrantWhy(g, now); !why.empty()) {
        return Refuse(RefusalReason::kGrant, absl::StrCat("grant ", Quoted(id), " ", why));
      }
      e.not_after = std::min(e.not_after, FromProtoTimestamp(g.expire_time()));
      for (const std::string& role : g.roles()) AddUnique(&e.roles, role);
      e.grant_ids.push_back(id);
    }
  }
  if (e.roles.empty()) {
    return Refuse(RefusalReason::kRole, absl::StrCat(Quoted(caller.name()), " holds no role"));
  }
  policy::v1::ComputeCertParamsRequest ask;
  *ask.mutable_identity() = caller;
  for (const std::string& role : e.roles) ask.add_roles(role);
  absl::StatusOr<policy::v1::ComputeCertParamsResponse> params = policy_->ComputeCertParams(ask);
  if (!params.ok()) {
    if (absl::IsPermissionDenied(params.status())) {
      return Refuse(RefusalReason::kRole, std::string(params.status().message()));
    }
    return params.status();
  }
  e.params = std::move(*params->mutable_params());
  if (e.params.mfa_required() && !caller.mfa_verified()) {
    return Refuse(RefusalReason::kMfa, "the roles require MFA: log in again with a second factor");
  }
  if (!e.params.has_max_ttl() ||
      (e.params.max_ttl().seconds() <= 0 && e.params.max_ttl().nanos() <= 0)) {
    return Refuse(RefusalReason::kTtl, "policy allows no certificate lifetime for these roles");
  }
  return e;
}

absl::StatusOr<v1::SignUserSshCertResponse> CertIssuer::SignUserSshCert(
    const Identity& caller, const audit::AuditActor& actor,
    const v1::SignUserSshCertRequest& request) const {
  RETURN_IF_ERROR(ValidateMessageText(request));  // bad UTF-8 or a NUL: INVALID_ARGUMENT
  constexpr CaKind kKind = CaKind::kSshUser;
  auto run = [&]() -> absl::StatusOr<v1::SignUserSshCertResponse> {
    // Input first: nothing is asked of peers for a request that cannot be signed.
    absl::StatusOr<ssh::SshPublicKey> key = ssh::SshPublicKey::FromLine(request.public_key());
    if (!key.ok()) return Invalid("public_key", key.status().message());
    ASSIGN_OR_RETURN(std::optional<absl::Duration> ttl,
                     RequestedTtl(request.has_ttl(), request.ttl()));
    RETURN_IF_ERROR(CheckGrantIds(request.grant_ids()));
    RETURN_IF_ERROR(CheckPrincipals("principals", request.principals()));

    const absl::Time now = clock_->Now();
    ASSIGN_OR_RETURN(
        Entitlement e,
        Entitle(caller, {request.grant_ids().begin(), request.grant_ids().end()}, now));
    const auto& allowed = e.params.logins();
    std::vector<std::string> principals;
    if (request.principals().empty()) {
      if (allowed.empty()) {
        return Refuse(RefusalReason::kPrincipal, "the roles allow no login");
      }
      principals.assign(allowed.begin(), allowed.end());
    } else {
      for (const std::string& p : request.principals()) {
        if (!Contains(allowed, p)) {
          return Refuse(RefusalReason::kPrincipal,
                        absl::StrCat("principal ", Quoted(p),
                                     " is not allowed (allowed: ", AllowedList(allowed), ")"));
        }
        AddUnique(&principals, p);
      }
    }
    const absl::Duration max_ttl =
        absl::Seconds(e.params.max_ttl().seconds()) + absl::Nanoseconds(e.params.max_ttl().nanos());
    if (ttl.has_value() && *ttl > max_ttl) {
      return Refuse(RefusalReason::kTtl,
                    absl::StrCat("TTL ", absl::FormatDuration(*ttl), " exceeds the roles' maximum ",
                                 absl::FormatDuration(max_ttl)));
    }
    const absl::Time not_after = std::min(now + ttl.value_or(max_ttl), e.not_after);

    ssh::SshCertificateSpec spec{.key = *key};
    spec.type = ssh::SshCertType::kUser;
    spec.principals = principals;
    spec.valid_after = ssh::ToCertTime(now - options_.backdate);
    spec.valid_before = ssh::ToCertTime(not_after);
    for (const auto& [name, value] : e.params.ssh_extensions()) {
      const bool critical =
          std::find_if(std::begin(kCriticalOptions), std::end(kCriticalOptions),
                       [&](const char* c) { return name == c; }) != std::end(kCriticalOptions);
      if (critical) {
        if (!value.empty()) spec.critical_options.push_back(ssh::StringOption(name, value));
      } else {
        spec.extensions.push_back(value.empty() ? ssh::FlagOption(name)
                                                : ssh::StringOption(name, value));
      }
    }
    if (e.params.pin_source_ip()) {
      const std::string ip = PeerIp(actor.remote_addr);
      if (ip.empty()) {
        return Refuse(RefusalReason::kPermission,
                      "the roles pin certificates to the caller's address, which is unknown");
      }
      spec.critical_options.erase(
          std::remove_if(spec.critical_options.begin(), spec.critical_options.end(),
                         [](const ssh::SshCertOption& o) { return o.name == "source-address"; }),
          spec.critical_options.end());
      spec.critical_options.push_back(ssh::StringOption("source-address", ip));
    }
    spec.extensions.push_back(
        ssh::StringOption("jit-roles@jit-access", absl::StrJoin(e.roles, ",")));
    spec.extensions.push_back(
        ssh::StringOption("jit-requests@jit-access", absl::StrJoin(e.grant_ids, ",")));

    const CaKeyring::Key& ca = keyring_->Active(kKind);
    for (int attempt = 1;; ++attempt) {
      ASSIGN_OR_RETURN(spec.serial, RandomSerial());
      spec.key_id =
          absl::StrCat(caller.name(), "/", absl::StrJoin(e.grant_ids, ","), "/", spec.serial);
      absl::StatusOr<std::string> line =
          Timed(metrics_, kKind, [&]() -> absl::StatusOr<std::string> {
            ASSIGN_OR_RETURN(std::string wire, ssh::SignSshCertificate(spec, *ca.ssh));
            return ssh::SshCertificateLine(wire, spec.key_id);
          });
      if (!line.ok()) {
        // The spec is ours; what the signer refuses here (e.g. a principal policy produced
        // that OpenSSH cannot carry) is not the caller's input.
        return absl::InternalError(absl::StrCat("signing failed: ", line.status().message()));
      }
      v1::SignUserSshCertResponse response;
      response.set_certificate(*line);
      IssuedCertificate& issued = *response.mutable_issued();
      issued.set_serial(absl::StrCat(spec.serial));
      issued.set_kind(CertificateKindOf(kKind));
      issued.set_key_id(spec.key_id);
      for (const std::string& p : principals) issued.add_principals(p);
      SetProtoTimestamp(absl::FromUnixSeconds(static_cast<int64_t>(spec.valid_after)),
                        issued.mutable_valid_after());
      SetProtoTimestamp(absl::FromUnixSeconds(static_cast<int64_t>(spec.valid_before)),
                        issued.mutable_valid_before());
      issued.set_user(caller.name());
      for (const std::string& g : e.grant_ids) issued.add_grant_ids(g);
      issued.set_public_key_fingerprint(key->Fingerprint());
      issued.set_ca_key_id(ca.key_id);
      issued.set_certificate(*line);
      absl::Status recorded = RecordIssued(issued, actor, now, e.roles);
      if (absl::IsAlreadyExists(recorded) && attempt < kSerialAttempts) continue;
      RETURN_IF_ERROR(recorded);
      return response;
    }
  };
  auto result = Counted(metrics_, kKind, run());
  if (!result.ok()) AuditRefusal(caller, actor, kKind, result.status());
  return result;
}

absl::StatusOr<v1::SignHostSshCertResponse> CertIssuer::SignHostSshCert(
    const Identity& caller, const audit::AuditActor& actor,
    const v1::SignHostSshCertRequest& request) const {
  RETURN_IF_ERROR(ValidateMessageText(request));  // bad UTF-8 or a NUL: INVALID_ARGUMENT
  constexpr CaKind kKind = CaKind::kSshHost;
  auto run = [&]() -> absl::StatusOr<v1::SignHostSshCertResponse> {
    absl::StatusOr<ssh::SshPublicKey> key = ssh::SshPublicKey::FromLine(request.public_key());
    if (!key.ok()) return Invalid("public_key", key.status().message());
    ASSIGN_OR_RETURN(std::optional<absl::Duration> ttl,
                     RequestedTtl(request.has_ttl(), request.ttl()));
    RETURN_IF_ERROR(CheckHostPrincipals(request.principals()));
    if (absl::Status allowed = permissions_->Check(caller, "cert_authority", "create");
        !allowed.ok()) {
      if (absl::IsPermissionDenied(allowed)) {
        return Refuse(
            RefusalReason::kPermission,
            absl::StrCat("host certificates need cert_authority create: ", allowed.message()));
      }
      return allowed;
    }
    if (ttl.has_value() && *ttl > options_.host_cert_ttl) {
      return Refuse(
          RefusalReason::kTtl,
          absl::StrCat("TTL ", absl::FormatDuration(*ttl), " exceeds the host certificate maximum ",
                       absl::FormatDuration(options_.host_cert_ttl)));
    }
    std::vector<std::string> principals;
    for (const std::string& p : request.principals()) AddUnique(&principals, p);
    return IssueHostSshCert(*key, principals, ttl.value_or(options_.host_cert_ttl), caller.name(),
                            actor);
  };
  auto result = Counted(metrics_, kKind, run());
  if (!result.ok()) AuditRefusal(caller, actor, kKind, result.status());
  return result;
}

absl::StatusOr<v1::SignHostSshCertResponse> CertIssuer::IssueHostSshCert(
    const ssh::SshPublicKey& key, const std::vector<std::string>& principals, absl::Duration ttl,
    std::string_view owner, const audit::AuditActor& actor) const {
  constexpr CaKind kKind = CaKind::kSshHost;
  const absl::Time now = clock_->Now();
  ssh::SshCertificateSpec spec{.key = key};
  spec.type = ssh::SshCertType::kHost;
  spec.principals = principals;
  spec.valid_after = ssh::ToCertTime(now - options_.backdate);
  spec.valid_before = ssh::ToCertTime(now + ttl);
  const CaKeyring::Key& ca = keyring_->Active(kKind);
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(spec.serial, RandomSerial());
    spec.key_id = absl::StrCat("host/", principals.front(), "/", spec.serial);
    absl::StatusOr<std::string> line = Timed(metrics_, kKind, [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(std::string wire, ssh::SignSshCertificate(spec, *ca.ssh));
      return ssh::SshCertificateLine(wire, spec.key_id);
    });
    if (!line.ok()) {
      return absl::InternalError(absl::StrCat("signing failed: ", line.status().message()));
    }
    v1::SignHostSshCertResponse response;
    response.set_certificate(*line);
    IssuedCertificate& issued = *response.mutable_issued();
    issued.set_serial(absl::StrCat(spec.serial));
    issued.set_kind(CertificateKindOf(kKind));
    issued.set_key_id(spec.key_id);
    for (const std::string& p : principals) issued.add_principals(p);
    SetProtoTimestamp(absl::FromUnixSeconds(static_cast<int64_t>(spec.valid_after)),
                      issued.mutable_valid_after());
    SetProtoTimestamp(absl::FromUnixSeconds(static_cast<int64_t>(spec.valid_before)),
                      issued.mutable_valid_before());
    issued.set_user(std::string(owner));
    issued.set_public_key_fingerprint(key.Fingerprint());
    issued.set_ca_key_id(ca.key_id);
    issued.set_certificate(*line);
    absl::Status recorded = RecordIssued(issued, actor, now, {});
    if (absl::IsAlreadyExists(recorded) && attempt < kSerialAttempts) continue;
    RETURN_IF_ERROR(recorded);
    return response;
  }
}

absl::StatusOr<v1::SignUserX509CertResponse> CertIssuer::SignUserX509Cert(
    const Identity& caller, const audit::AuditActor& actor,
    const v1::SignUserX509CertRequest& request) const {
  RETURN_IF_ERROR(ValidateMessageText(request));  // bad UTF-8 or a NUL: INVALID_ARGUMENT
  constexpr CaKind kKind = CaKind::kX509User;
  auto run = [&]() -> absl::StatusOr<v1::SignUserX509CertResponse> {
    using Target = v1::SignUserX509CertRequest;
    if (request.target() != Target::TARGET_DATABASE &&
        request.target() != Target::TARGET_KUBERNETES) {
      return Invalid("target", "must be TARGET_DATABASE or TARGET_KUBERNETES");
    }
    if (request.csr_pem().empty() == request.public_key_pem().empty()) {
      return Invalid("csr_pem", "give exactly one of csr_pem and public_key_pem");
    }
    crypto::EvpPkeyPtr key;
    if (!request.csr_pem().empty()) {
      absl::StatusOr<pki::CertificateRequest> csr = pki::ParseCsr(request.csr_pem());
      if (!csr.ok()) return Invalid("csr_pem", csr.status().message());
      key = std::move(csr->public_key);
    } else {
      absl::StatusOr<crypto::EvpPkeyPtr> parsed =
          pki::ParseClientPublicKey(request.public_key_pem());
      if (!parsed.ok()) return Invalid("public_key_pem", parsed.status().message());
      key = *std::move(parsed);
    }
    ASSIGN_OR_RETURN(std::optional<absl::Duration> ttl,
                     RequestedTtl(request.has_ttl(), request.ttl()));
    RETURN_IF_ERROR(CheckGrantIds(request.grant_ids()));
    const bool database = request.target() == Target::TARGET_DATABASE;
    if (database) {
      if (request.db_user().empty()) return Invalid("db_user", "required for TARGET_DATABASE");
      if (!request.kubernetes_groups().empty()) {
        return Invalid("kubernetes_groups", "only for TARGET_KUBERNETES");
      }
    } else if (!request.db_user().empty() || !request.db_name().empty()) {
      return Invalid("db_user", "only for TARGET_DATABASE");
    }

    const absl::Time now = clock_->Now();
    ASSIGN_OR_RETURN(
        Entitlement e,
        Entitle(caller, {request.grant_ids().begin(), request.grant_ids().end()}, now));
    pki::ClientCertificateRequest spec;
    spec.public_key = key.get();
    std::vector<std::string> principals;
    if (database) {
      if (!Contains(e.params.db_users(), request.db_user())) {
        return Refuse(RefusalReason::kDbUser, absl::StrCat("db user ", Quoted(request.db_user()),
                                                           " is not allowed (allowed: ",
                                                           AllowedList(e.params.db_users()), ")"));
      }
      if (!request.db_name().empty() && !Contains(e.params.db_names(), request.db_name())) {
        return Refuse(RefusalReason::kDbName, absl::StrCat("db name ", Quoted(request.db_name()),
                                                           " is not allowed (allowed: ",
                                                           AllowedList(e.params.db_names()), ")"));
      }
      if (e.params.db_names().empty()) {
        return Refuse(RefusalReason::kDbName, "the roles allow no database");
      }
      spec.common_name = request.db_user();
    } else {
      const auto& allowed = e.params.kubernetes_groups();
      if (request.kubernetes_groups().empty()) {
        spec.organizations.assign(allowed.begin(), allowed.end());
      } else {
        for (const std::string& g : request.kubernetes_groups()) {
          if (!Contains(allowed, g)) {
            return Refuse(RefusalReason::kGroup,
                          absl::StrCat("Kubernetes group ", Quoted(g),
                                       " is not allowed (allowed: ", AllowedList(allowed), ")"));
          }
          AddUnique(&spec.organizations, g);
        }
      }
      if (spec.organizations.empty()) {
        return Refuse(RefusalReason::kGroup, "the roles allow no Kubernetes group");
      }
      spec.common_name = caller.name();
    }
    const absl::Duration max_ttl =
        absl::Seconds(e.params.max_ttl().seconds()) + absl::Nanoseconds(e.params.max_ttl().nanos());
    if (ttl.has_value() && *ttl > max_ttl) {
      return Refuse(RefusalReason::kTtl,
                    absl::StrCat("TTL ", absl::FormatDuration(*ttl), " exceeds the roles' maximum ",
                                 absl::FormatDuration(max_ttl)));
    }
    spec.not_before = now - options_.backdate;
    spec.not_after = std::min(now + ttl.value_or(max_ttl), e.not_after);
    spec.roles = e.roles;
    spec.grant_ids = e.grant_ids;
    principals.push_back(absl::StrCat("CN=", spec.common_name));
    for (const std::string& o : spec.organizations) principals.push_back(absl::StrCat("O=", o));

    const CaKeyring::Key& ca = keyring_->Active(kKind);
    ASSIGN_OR_RETURN(std::string fingerprint, SpkiFingerprint(key.get()));
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<pki::IssuedClientCertificate> cert =
          Timed(metrics_, kKind, [&] { return pki::IssueClientCertificate(*ca.x509, spec); });
      if (!cert.ok()) {
        if (absl::IsInvalidArgument(cert.status())) {
          return Invalid("csr_pem", cert.status().message());
        }
        return cert.status();
      }
      v1::SignUserX509CertResponse response;
      response.set_certificate_pem(cert->pem);
      response.set_ca_chain_pem(ca.public_key);
      IssuedCertificate& issued = *response.mutable_issued();
      issued.set_serial(cert->serial_hex);
      issued.set_kind(CertificateKindOf(kKind));
      issued.set_key_id(spec.common_name);
      for (const std::string& p : principals) issued.add_principals(p);
      SetProtoTimestamp(cert->not_before, issued.mutable_valid_after());
      SetProtoTimestamp(cert->not_after, issued.mutable_valid_before());
      issued.set_user(caller.name());
      for (const std::string& g : e.grant_ids) issued.add_grant_ids(g);
      issued.set_public_key_fingerprint(fingerprint);
      issued.set_ca_key_id(ca.key_id);
      issued.set_certificate(cert->pem);
      absl::Status recorded = RecordIssued(issued, actor, now, e.roles);
      if (absl::IsAlreadyExists(recorded) && attempt < kSerialAttempts) continue;
      RETURN_IF_ERROR(recorded);
      return response;
    }
  };
  auto result = Counted(metrics_, kKind, run());
  if (!result.ok()) AuditRefusal(caller, actor, kKind, result.status());
  return result;
}

void CertIssuer::AuditRefusal(const Identity& caller, const audit::AuditActor& actor, CaKind kind,
                              const absl::Status& status) const {
  if (!absl::IsPermissionDenied(status) && !absl::IsInvalidArgument(status)) return;
  const std::string kind_name(CaKindName(kind));
  // At most 512 bytes, cut at a UTF-8 character boundary.
  size_t cut = std::min<size_t>(status.message().size(), 512);
  while (cut < status.message().size() && cut > 0 &&
         (static_cast<unsigned char>(status.message()[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  const std::string reason(status.message().substr(0, cut));
  absl::StatusOr<AuditEvent> event = audit::NewAuditEvent(
      kCaService, "cert.issue", clock_->Now(), actor, absl::StrCat("cert:", kind_name),
      absl::IsPermissionDenied(status) ? AuditEvent::OUTCOME_DENIED : AuditEvent::OUTCOME_FAILURE,
      absl::StrCat(kind_name, " certificate refused"),
      {{"kind", kind_name},
       {"user", caller.name()},
       {"code", absl::StatusCodeToString(status.code())},
       {"reason", reason}});
  absl::Status written = event.ok() ? store_->RecordRefusal(*event) : event.status();
  if (!written.ok()) {
    spdlog::warn("auditing a refused {} certificate: {}", kind_name, written.ToString());
  }
}

absl::Status CertIssuer::RecordIssued(const IssuedCertificate& cert, const audit::AuditActor& actor,
                                      absl::Time now, const std::vector<std::string>& roles) const {
  ASSIGN_OR_RETURN(CaKind kind, CaKindOf(cert.kind()));
  const std::string kind_name(CaKindName(kind));
  ASSIGN_OR_RETURN(AuditEvent event,
                   audit::NewAuditEvent(
                       kCaService, "cert.issue", now, actor,
                       absl::StrCat("cert:", kind_name, ":", cert.serial()),
                       AuditEvent::OUTCOME_SUCCESS, absl::StrCat(kind_name, " certificate issued"),
                       {{"serial", cert.serial()},
                        {"kind", kind_name},
                        {"key_id", cert.key_id()},
                        {"user", cert.user()},
                        {"principals", absl::StrJoin(cert.principals(), ",")},
                        {"roles", absl::StrJoin(roles, ",")},
                        {"grant_ids", absl::StrJoin(cert.grant_ids(), ",")},
                        {"public_key_fingerprint", cert.public_key_fingerprint()},
                        {"valid_after",
                         absl::FormatTime(absl::RFC3339_sec, FromProtoTimestamp(cert.valid_after()),
                                          absl::UTCTimeZone())},
                        {"valid_before", absl::FormatTime(absl::RFC3339_sec,
                                                          FromProtoTimestamp(cert.valid_before()),
                                                          absl::UTCTimeZone())},
                        {"ca_key_id", cert.ca_key_id()}}));
  return store_->Record(cert, now, event);
}

absl::StatusOr<v1::GetCaPublicKeysResponse> CertIssuer::GetCaPublicKeys(
    const v1::GetCaPublicKeysRequest& request) const {
  std::string pattern = request.known_hosts_pattern().empty() ? "*" : request.known_hosts_pattern();
  if (pattern.size() > 255 || !PrintableWithout(pattern, "")) {
    return Invalid("known_hosts_pattern", "printable characters without spaces, at most 255");
  }
  v1::GetCaPublicKeysResponse response;
  for (const auto& key : keyring_->keys()) {
    if (key->state == CaKeyState::kRetired) continue;
    v1::CaPublicKey* out = response.add_keys();
    out->set_type(CaTypeOf(key->kind));
    out->set_key_id(key->key_id);
    out->set_public_key(key->public_key);
    out->set_status(std::string(CaKeyStateName(key->state)));
    switch (key->kind) {
      case CaKind::kSshUser:
        absl::StrAppend(response.mutable_trusted_user_ca_keys(), key->public_key, " ", key->key_id,
                        "\n");
        break;
      case CaKind::kSshHost:
        absl::StrAppend(response.mutable_known_hosts(), "@cert-authority ", pattern, " ",
                        key->public_key, " ", key->key_id, "\n");
        break;
      case CaKind::kX509User:
        absl::StrAppend(response.mutable_x509_ca_bundle_pem(), key->public_key);
        break;
    }
  }
  return response;
}

absl::StatusOr<v1::ListIssuedCertsResponse> CertIssuer::ListIssuedCerts(
    const Identity& caller, const v1::ListIssuedCertsRequest& request) const {
  RETURN_IF_ERROR(ValidateMessageText(request));  // bad UTF-8 or a NUL: INVALID_ARGUMENT
  if (request.page_size() < 0) return Invalid("page_size", "must not be negative");
  const int page_size =
      request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  IssuedCertFilter filter{.user = request.user(), .grant_id = request.grant_id()};
  if (request.kind() != jit::common::v1::CERTIFICATE_KIND_UNSPECIFIED) {
    ASSIGN_OR_RETURN(filter.kind, CaKindOf(request.kind()));
  }
  if (request.has_valid_at()) filter.valid_at = FromProtoTimestamp(request.valid_at());
  if (filter.user != caller.name() || caller.kind() != Identity::KIND_USER) {
    absl::Status allowed = permissions_->Check(caller, "cert_authority", "list");
    if (absl::IsPermissionDenied(allowed) && filter.user.empty() &&
        caller.kind() == Identity::KIND_USER) {
      filter.user = caller.name();  // without the permission: one's own certificates
    } else if (!allowed.ok()) {
      if (absl::IsPermissionDenied(allowed)) {
        return Refuse(RefusalReason::kPermission,
                      absl::StrCat("listing certificates of others needs cert_authority list: ",
                                   allowed.message()));
      }
      return allowed;
    }
  }
  ASSIGN_OR_RETURN(IssuedCertPage page, store_->List(filter, page_size, request.page_token()));
  v1::ListIssuedCertsResponse response;
  for (auto& c : page.certs) *response.add_certs() = std::move(c);
  response.set_next_page_token(page.next_page_token);
  return response;
}

}  // namespace jit::ca
