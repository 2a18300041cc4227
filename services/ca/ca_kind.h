// The kinds of certificate authority the ca service keeps, one key (or, during rotation, a
// few) per kind: "ssh-user" signs OpenSSH user certificates, "ssh-host" OpenSSH host
// certificates, "x509-user" X.509 client certificates (PostgreSQL, Kubernetes).
// Pure functions; thread-safe.
#ifndef JIT_SERVICES_CA_CA_KIND_H_
#define JIT_SERVICES_CA_CA_KIND_H_

#include <array>
#include <string_view>

#include "absl/status/statusor.h"
#include "jit/ca/v1/ca.pb.h"
#include "jit/common/v1/certificate.pb.h"

namespace jit::ca {

enum class CaKind { kSshUser, kSshHost, kX509User };

inline constexpr std::array<CaKind, 3> kAllCaKinds = {CaKind::kSshUser, CaKind::kSshHost,
                                                      CaKind::kX509User};

// "ssh-user", "ssh-host", "x509-user" (the ca_keys.kind and issued_certs.kind values).
std::string_view CaKindName(CaKind kind);
// The inverse; INVALID_ARGUMENT naming the accepted names otherwise.
absl::StatusOr<CaKind> ParseCaKind(std::string_view name);

v1::CaType CaTypeOf(CaKind kind);
// INVALID_ARGUMENT for CA_TYPE_UNSPECIFIED or an unknown value.
absl::StatusOr<CaKind> CaKindOf(v1::CaType type);

jit::common::v1::CertificateKind CertificateKindOf(CaKind kind);
// INVALID_ARGUMENT for CERTIFICATE_KIND_UNSPECIFIED or an unknown value.
absl::StatusOr<CaKind> CaKindOf(jit::common::v1::CertificateKind kind);

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_KIND_H_
