#include "services/ca/ca_kind.h"

#include "absl/strings/str_cat.h"

namespace jit::ca {

std::string_view CaKindName(CaKind kind) {
  switch (kind) {
    case CaKind::kSshUser:
      return "ssh-user";
    case CaKind::kSshHost:
      return "ssh-host";
    case CaKind::kX509User:
      return "x509-user";
  }
  return "unknown";
}

absl::StatusOr<CaKind> ParseCaKind(std::string_view name) {
  for (CaKind kind : kAllCaKinds) {
    if (CaKindName(kind) == name) return kind;
  }
  return absl::InvalidArgumentError("CA kind must be one of ssh-user, ssh-host, x509-user");
}

v1::CaType CaTypeOf(CaKind kind) {
  switch (kind) {
    case CaKind::kSshUser:
      return v1::CA_TYPE_SSH_USER;
    case CaKind::kSshHost:
      return v1::CA_TYPE_SSH_HOST;
    case CaKind::kX509User:
      return v1::CA_TYPE_X509_USER;
  }
  return v1::CA_TYPE_UNSPECIFIED;
}

absl::StatusOr<CaKind> CaKindOf(v1::CaType type) {
  switch (type) {
    case v1::CA_TYPE_SSH_USER:
      return CaKind::kSshUser;
    case v1::CA_TYPE_SSH_HOST:
      return CaKind::kSshHost;
    case v1::CA_TYPE_X509_USER:
      return CaKind::kX509User;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("type: unknown CA type ", static_cast<int>(type)));
  }
}

jit::common::v1::CertificateKind CertificateKindOf(CaKind kind) {
  switch (kind) {
    case CaKind::kSshUser:
      return jit::common::v1::CERTIFICATE_KIND_SSH_USER;
    case CaKind::kSshHost:
      return jit::common::v1::CERTIFICATE_KIND_SSH_HOST;
    case CaKind::kX509User:
      return jit::common::v1::CERTIFICATE_KIND_X509_CLIENT;
  }
  return jit::common::v1::CERTIFICATE_KIND_UNSPECIFIED;
}

absl::StatusOr<CaKind> CaKindOf(jit::common::v1::CertificateKind kind) {
  switch (kind) {
    case jit::common::v1::CERTIFICATE_KIND_SSH_USER:
      return CaKind::kSshUser;
    case jit::common::v1::CERTIFICATE_KIND_SSH_HOST:
      return CaKind::kSshHost;
    case jit::common::v1::CERTIFICATE_KIND_X509_CLIENT:
      return CaKind::kX509User;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("kind: unknown certificate kind ", static_cast<int>(kind)));
  }
}

}  // namespace jit::ca
