#include "services/ca/join/internal_ca_loader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "services/ca/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::ca::join {
namespace {

absl::StatusOr<std::string> ReadPublicFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat("internal_ca_cert_file: cannot read ", path));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Files {
  std::string cert_pem;
  SecretString key_pem;
  pki::CertificateAuthority ca;
};

absl::StatusOr<Files> ReadFiles(const std::string& cert_file, const std::string& key_file) {
  ASSIGN_OR_RETURN(std::string cert_pem, ReadPublicFile(cert_file));
  absl::StatusOr<SecretString> key_pem = ReadSecretFile(key_file);
  if (!key_pem.ok()) {
    return absl::Status(key_pem.status().code(),
                        absl::StrCat("internal_ca_key_file: ", key_pem.status().message()));
  }
  absl::StatusOr<pki::CertificateAuthority> ca =
      pki::LoadCertificateAuthority(cert_pem, key_pem->Reveal());
  if (!ca.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("internal_ca_cert_file: ", ca.status().message()));
  }
  return Files{std::move(cert_pem), *std::move(key_pem), *std::move(ca)};
}

}  // namespace

absl::Status ValidateInternalCaFiles(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "internal_ca_cert_file: give both --internal_ca_cert_file and --internal_ca_key_file, "
        "or neither");
  }
  if (cert_file.empty()) return absl::OkStatus();
  return ReadFiles(cert_file, key_file).status();
}

absl::StatusOr<std::optional<pki::CertificateAuthority>> LoadInternalCa(
    JoinStore& store, const std::string& cert_file, const std::string& key_file, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<InternalCaRecord> stored, store.LoadInternalCa());
  if (!stored.has_value() && !cert_file.empty()) {
    ASSIGN_OR_RETURN(Files files, ReadFiles(cert_file, key_file));
    ASSIGN_OR_RETURN(
        jit::common::v1::AuditEvent event,
        audit::NewAuditEvent(kCaService, "internal_ca.import", now, {.actor = "system"},
                             "internal_ca", jit::common::v1::AuditEvent::OUTCOME_SUCCESS,
                             "internal CA imported from files"));
    ASSIGN_OR_RETURN(
        bool imported,
        store.ImportInternalCaIfAbsent(InternalCaRecord{.certificate_pem = files.cert_pem,
                                                        .private_key_pem = std::move(files.key_pem),
                                                        .import_time = now},
                                       event));
    if (imported) spdlog::info("internal CA imported from {}", cert_file);
    ASSIGN_OR_RETURN(stored, store.LoadInternalCa());
  }
  if (!stored.has_value()) {
    spdlog::warn(
        "no internal CA: join tokens cannot be redeemed until ca starts once with "
        "--internal_ca_cert_file and --internal_ca_key_file");
    return std::optional<pki::CertificateAuthority>();
  }
  absl::StatusOr<pki::CertificateAuthority> ca =
      pki::LoadCertificateAuthority(stored->certificate_pem, stored->private_key_pem.Reveal());
  if (!ca.ok()) {
    return absl::DataLossError(absl::StrCat("stored internal CA: ", ca.status().message()));
  }
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> given = ReadPublicFile(cert_file);
    if (given.ok() && *given != stored->certificate_pem) {
      spdlog::warn(
          "--internal_ca_cert_file differs from the stored internal CA; the stored "
          "one stays in use");
    }
  }
  return std::optional<pki::CertificateAuthority>(*std::move(ca));
}

}  // namespace jit::ca::join
