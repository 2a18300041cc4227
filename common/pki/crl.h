// X.509 certificate revocation lists (RFC 5280 §5) for the x509-user CA, as PostgreSQL's
// ssl_crl_file and kube-apiserver read them: v2, signed by the CA's key, with an authority
// key identifier and a CRL number, DER and PEM.
//
// Timing (PEERS.md): a CRL whose thisUpdate is even seconds in the future, or whose
// nextUpdate has passed, makes OpenSSL refuse every client; so thisUpdate is back-dated by
// kCrlBackdate and nextUpdate is now + validity. Publish a new one well before nextUpdate.
//
// Errors: INVALID_ARGUMENT for a serial that is not 2-40 hex digits of a positive number, a
// repeated serial or a non-positive validity; INTERNAL when OpenSSL fails.
// Thread-safety: a pure function; the CertificateAuthority may be shared.
#ifndef JIT_COMMON_PKI_CRL_H_
#define JIT_COMMON_PKI_CRL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pki/x509_ca.h"

namespace jit::pki {

inline constexpr absl::Duration kCrlBackdate = absl::Minutes(5);

struct RevokedCertificate {
  std::string serial_hex;  // as IssuedClientCertificate::serial_hex
  absl::Time revoked_at;   // later than thisUpdate is written as thisUpdate
};

struct CrlOptions {
  // Increases with every CRL published (the cRLNumber extension).
  uint64_t crl_number = 1;
  absl::Duration validity = absl::Hours(24);
};

struct Crl {
  std::string der;
  std::string pem;
  absl::Time this_update;
  absl::Time next_update;
};

absl::StatusOr<Crl> BuildCrl(const CertificateAuthority& ca,
                             const std::vector<RevokedCertificate>& revoked,
                             const CrlOptions& options, absl::Time now);

}  // namespace jit::pki

#endif  // JIT_COMMON_PKI_CRL_H_
