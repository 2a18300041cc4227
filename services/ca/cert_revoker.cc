#include "services/ca/cert_revoker.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/pki/crl.h"
#include "common/proto_time.h"
#include "common/ssh/krl.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "services/ca/service_name.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::AuditEvent;

constexpr size_t kMaxSerialSize = 40;
constexpr size_t kMaxGrantIdSize = 128;
// Serials named in one audit event (the count is always exact).
constexpr int kMaxAuditedSerials = 100;
constexpr int kFollowPageSize = 1000;

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

// Lowered; INVALID_ARGUMENT unless 1-40 digits of the kind's base.
absl::StatusOr<std::string> NormalSerial(const std::string& serial, std::optional<CaKind> kind,
                                         int index) {
  const std::string field = absl::StrCat("serials[", index, "]");
  if (serial.empty() || serial.size() > kMaxSerialSize) {
    return Invalid(field, absl::StrCat("must be 1-", kMaxSerialSize, " digits"));
  }
  std::string lowered = absl::AsciiStrToLower(serial);
  const bool decimal = kind.has_value() && *kind != CaKind::kX509User;
  for (char c : lowered) {
    const bool ok = decimal ? absl::ascii_isdigit(c) : absl::ascii_isxdigit(c);
    if (!ok) {
      return Invalid(field, absl::StrCat(QuoteBounded(serial), " is not a serial (",
                                         decimal ? "decimal" : "hex", " digits)"));
    }
  }
  return lowered;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace

CertRevoker::CertRevoker(const CaKeyring* keyring, RevocationStore* store,
                         policy::PermissionChecker* permissions, requests::RequestsClient* requests,
                         const Clock* clock, CertRevokerOptions options)
    : keyring_(keyring),
      store_(store),
      permissions_(permissions),
      requests_(requests),
      clock_(clock),
      options_(options) {}

absl::StatusOr<v1::RevokeCertsResponse> CertRevoker::RevokeCerts(
    const Identity& caller, const audit::AuditActor& actor,
    const v1::RevokeCertsRequest& request) const {
  RETURN_IF_ERROR(ValidateMessageText(request));  // bad UTF-8 or a NUL: INVALID_ARGUMENT
  if (request.serials().empty() && request.grant_id().empty()) {
    return Invalid("serials", "name serials or a grant_id to revoke");
  }
  if (request.serials_size() > kMaxRevokeSerials) {
    return Invalid("serials", absl::StrCat("at most ", kMaxRevokeSerials, " per call"));
  }
  if (request.reason().empty() || request.reason().size() > kMaxRevokeReasonSize) {
    return Invalid("reason", absl::StrCat("required, at most ", kMaxRevokeReasonSize, " bytes"));
  }
  if (request.grant_id().size() > kMaxGrantIdSize) {
    return Invalid("grant_id", absl::StrCat("at most ", kMaxGrantIdSize, " bytes"));
  }
  std::optional<CaKind> kind;
  if (request.type() != v1::CA_TYPE_UNSPECIFIED) {
    absl::StatusOr<CaKind> k = CaKindOf(request.type());
    if (!k.ok()) return Invalid("type", k.status().message());
    kind = *k;
  }
  RevokeSelection selection{.grant_id = request.grant_id()};
  for (int i = 0; i < request.serials_size(); ++i) {
    ASSIGN_OR_RETURN(std::string serial, NormalSerial(request.serials(i), kind, i));
    selection.serials.push_back({.kind = kind, .serial = std::move(serial)});
  }
  // Of services the method table admits only requests; people need the permission.
  if (caller.kind() != Identity::KIND_SERVICE) {
    absl::Status allowed = permissions_->Check(caller, "cert_authority", "revoke");
    if (absl::IsPermissionDenied(allowed)) {
      return absl::PermissionDeniedError(
          absl::StrCat("revoking certificates needs cert_authority revoke: ", allowed.message()));
    }
    RETURN_IF_ERROR(allowed);
  }
  const absl::Time now = clock_->Now();
  auto make_event = [&](const std::vector<RevokedCert>& newly) -> absl::StatusOr<AuditEvent> {
    std::vector<std::string> names;
    for (const RevokedCert& c : newly) {
      if (static_cast<int>(names.size()) == kMaxAuditedSerials) break;
      names.push_back(absl::StrCat(std::string(CaKindName(c.kind)), ":", c.serial));
    }
    std::string target = request.grant_id().empty() ? absl::StrCat("cert:", names.front())
                                                    : absl::StrCat("grant:", request.grant_id());
    return audit::NewAuditEvent(kCaService, "cert.revoke", now, actor, target,
                                AuditEvent::OUTCOME_SUCCESS,
                                absl::StrCat(newly.size(), " certificate(s) revoked"),
                                {{"count", absl::StrCat(newly.size())},
                                 {"certs", absl::StrJoin(names, ",")},
                                 {"grant_id", request.grant_id()},
                                 {"reason", request.reason()}});
  };
  ASSIGN_OR_RETURN(RevokeResult result,
                   store_->Revoke(selection, now, request.reason(), make_event));
  v1::RevokeCertsResponse response;
  for (const RevokedCert& c : result.selected) response.add_revoked_serials(c.serial);
  response.set_newly_revoked(static_cast<int32_t>(result.newly_revoked.size()));
  return response;
}

absl::StatusOr<v1::GetRevocationListResponse> CertRevoker::GetRevocationList(
    const v1::GetRevocationListRequest& request) const {
  absl::StatusOr<CaKind> kind = CaKindOf(request.type());
  if (!kind.ok()) return Invalid("type", kind.status().message());
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(PublishedRevocations list, store_->Publish(*kind, now, options_.reissue_after));
  v1::GetRevocationListResponse response;
  if (*kind == CaKind::kX509User) {
    const CaKeyring::Key& ca = keyring_->Active(*kind);
    if (!ca.x509.has_value()) return absl::InternalError("the x509-user CA has no certificate");
    std::vector<pki::RevokedCertificate> revoked;
    for (const RevokedCert& c : list.revoked) {
      if (c.ca_key_id != ca.key_id) continue;  // another key's CRL would name them
      revoked.push_back({.serial_hex = c.serial, .revoked_at = c.revoke_time});
    }
    ASSIGN_OR_RETURN(pki::Crl crl,
                     pki::BuildCrl(*ca.x509, revoked,
                                   {.crl_number = list.number, .validity = options_.list_validity},
                                   list.this_update));
    response.set_revocation_list(std::move(crl.der));
    response.set_crl_pem(std::move(crl.pem));
    SetProtoTimestamp(crl.this_update, response.mutable_this_update());
    SetProtoTimestamp(crl.next_update, response.mutable_next_update());
    return response;
  }
  // One certificate section per CA key that signed a revoked certificate and is still
  // trusted (a certificate of a key no longer trusted is refused anyway).
  std::map<std::string, ssh::KrlCertificates> by_key;
  for (const auto& key : keyring_->keys()) {
    if (key->kind != *kind || key->ssh == nullptr || key->state == CaKeyState::kRetired) continue;
    by_key[key->key_id].ca_key_wire = key->ssh->public_key().wire();
  }
  for (const RevokedCert& c : list.revoked) {
    auto it = by_key.find(c.ca_key_id);
    if (it == by_key.end()) continue;
    uint64_t serial = 0;
    if (!absl::SimpleAtoi(c.serial, &serial) || serial == 0) {
      return absl::DataLossError(absl::StrCat("stored SSH serial ", QuoteBounded(c.serial),
                                              " is not a positive decimal number"));
    }
    it->second.serials.push_back(serial);
  }
  ssh::KrlSpec spec{
      .version = list.number,
      .generated = list.this_update,
      .comment = absl::StrCat("jit-access ", std::string(CaKindName(*kind)), " KRL ", list.number)};
  for (auto& [key_id, section] : by_key) {
    if (!section.serials.empty()) spec.certificates.push_back(std::move(section));
  }
  ASSIGN_OR_RETURN(std::string krl, ssh::BuildKrl(spec));
  response.set_revocation_list(std::move(krl));
  SetProtoTimestamp(list.this_update, response.mutable_this_update());
  return response;
}

absl::StatusOr<int> CertRevoker::FollowRevokedGrants() const {
  int revoked = 0;
  requests::v1::ListActiveGrantsRequest list;
  list.set_revoked_only(true);
  list.set_page_size(kFollowPageSize);
  for (;;) {
    ASSIGN_OR_RETURN(requests::v1::ListActiveGrantsResponse page,
                     requests_->ListActiveGrants(list));
    for (const jit::common::v1::Grant& grant : page.grants()) {
      if (!grant.has_revoke_time() || grant.id().empty()) continue;
      const absl::Time now = clock_->Now();
      const std::string reason = std::string(Utf8Prefix(
          absl::StrCat("grant revoked by ", grant.revoked_by(), ": ", grant.revoke_reason()),
          kMaxRevokeReasonSize));
      const audit::AuditActor actor{.actor = "system"};
      auto make_event = [&](const std::vector<RevokedCert>& newly) -> absl::StatusOr<AuditEvent> {
        std::vector<std::string> names;
        for (const RevokedCert& c : newly) {
          if (static_cast<int>(names.size()) == kMaxAuditedSerials) break;
          names.push_back(absl::StrCat(std::string(CaKindName(c.kind)), ":", c.serial));
        }
        return audit::NewAuditEvent(
            kCaService, "cert.revoke", now, actor, absl::StrCat("grant:", grant.id()),
            AuditEvent::OUTCOME_SUCCESS,
            absl::StrCat(newly.size(), " certificate(s) of a revoked grant revoked"),
            {{"count", absl::StrCat(newly.size())},
             {"certs", absl::StrJoin(names, ",")},
             {"grant_id", grant.id()},
             {"grant_revoke_time", Rfc3339(FromProtoTimestamp(grant.revoke_time()))},
             {"reason", reason}});
      };
      ASSIGN_OR_RETURN(RevokeResult result,
                       store_->Revoke({.grant_id = grant.id()}, now, reason, make_event));
      revoked += static_cast<int>(result.newly_revoked.size());
    }
    if (page.next_page_token().empty()) return revoked;
    list.set_page_token(page.next_page_token());
  }
}

}  // namespace jit::ca
