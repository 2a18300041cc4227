// X.509 client certificates for people (RFC 5280) from the x509-user CA: PostgreSQL (CN = the
// database user) and Kubernetes (CN = the user, one O per group). CA:FALSE, digitalSignature,
// clientAuth, key identifiers, a random 128-bit serial, and the roles and grant ids in a
// private non-critical extension (kJitAccessExtensionOid: SEQUENCE { roles SEQUENCE OF
// UTF8String, grantIds SEQUENCE OF UTF8String }). Written as DER (der.h) and signed in one
// EVP_DigestSign; the validity is the caller's, clipped to the CA certificate's.
// Errors: INVALID_ARGUMENT for a key not accepted (CheckClientKey), an empty, over-long (64)
// or control-character CN/O, more than kMaxOrganizations groups, empty role or grant ids,
// not_before >= not_after; FAILED_PRECONDITION when the CA certificate has expired; INTERNAL
// when OpenSSL fails. Thread-safe: a CertificateAuthority may be shared by issuing threads.
#ifndef JIT_COMMON_PKI_CLIENT_CERT_H_
#define JIT_COMMON_PKI_CLIENT_CERT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/x509_ca.h"

namespace jit::pki {

// 2.25.<UUID 6ed13d9a-c2fc-42e3-aeb6-9cd2a5004148 as an integer> (X.667: an OID anyone may
// use without registration).
inline constexpr char kJitAccessExtensionOid[] = "2.25.147301519068242432030457526801913626952";

inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxOrganizations = 64;

struct ClientCertificateRequest {
  EVP_PKEY* public_key = nullptr;  // not owned
  std::string common_name;
  std::vector<std::string> organizations;
  absl::Time not_before;
  absl::Time not_after;
  std::vector<std::string> roles;
  std::vector<std::string> grant_ids;
};

struct IssuedClientCertificate {
  std::string der;
  std::string pem;
  std::string serial_hex;  // lowercase, 32 digits
  absl::Time not_before;
  absl::Time not_after;
};

absl::StatusOr<IssuedClientCertificate> IssueClientCertificate(
    const CertificateAuthority& ca, const ClientCertificateRequest& request);

// The roles and grant ids of a certificate issued here; nullopt when it has no such
// extension, INVALID_ARGUMENT when the extension is malformed.
struct JitAccessGrants {
  std::vector<std::string> roles;
  std::vector<std::string> grant_ids;
};
absl::StatusOr<std::optional<JitAccessGrants>> ReadJitAccessExtension(X509* cert);

}  // namespace jit::pki

#endif  // JIT_COMMON_PKI_CLIENT_CERT_H_
