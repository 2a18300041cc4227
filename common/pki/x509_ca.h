// A small X.509 certificate authority: CA certificates (v3, CA:TRUE, pathlen:0) and, for
// service identity (mTLS between jit-access services), leaf certificates with URI/DNS/IP
// subject alternative names, valid for both TLS server and client auth. People's client
// certificates (client_cert.h) and CRLs (crl.h) are issued from the same CertificateAuthority.
//
// Time is passed in (`now`) so tests can mint certificates at any instant. All functions are
// thread-compatible; a CertificateAuthority is immutable once built.
#ifndef JIT_COMMON_PKI_X509_CA_H_
#define JIT_COMMON_PKI_X509_CA_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/openssl_util.h"
#include "common/secret.h"

namespace jit::pki {

struct CertificateAuthority {
  crypto::X509Ptr cert;
  crypto::EvpPkeyPtr key;
};

struct CaOptions {
  std::string common_name = "jit-access internal CA";
  absl::Duration validity = absl::Hours(24 * 365 * 10);
};

// A fresh CA with a new P-256 key, valid from now - 5 min.
absl::StatusOr<CertificateAuthority> CreateCertificateAuthority(const CaOptions& options,
                                                                absl::Time now);

// A self-signed CA certificate for an existing private key (any kind crypto::CaSigner holds:
// Ed25519, P-256, RSA), valid from now - 5 min; the result shares the key (reference-counted).
// The x509-user CA is made this way from its stored key.
absl::StatusOr<CertificateAuthority> CreateCertificateAuthorityForKey(EVP_PKEY* key,
                                                                      const CaOptions& options,
                                                                      absl::Time now);

// Loads a CA from PEM. INVALID_ARGUMENT when the PEMs do not parse, the key does not match
// the certificate, or the certificate is not a CA.
absl::StatusOr<CertificateAuthority> LoadCertificateAuthority(std::string_view cert_pem,
                                                              std::string_view key_pem);

struct LeafOptions {
  std::string common_name;
  std::vector<std::string> uri_sans;  // e.g. "spiffe://jit-access/service/ca"
  std::vector<std::string> dns_sans;  // e.g. "localhost"
  std::vector<std::string> ip_sans;   // e.g. "127.0.0.1", "::1"
  absl::Duration validity = absl::Hours(24 * 365);
  bool server_auth = true;
  bool client_auth = true;
};

struct IssuedCertificate {
  std::string cert_pem;
  SecretString key_pem;  // PKCS#8; empty when the caller supplied the public key
};

// Issues a certificate for a new P-256 key. The validity is clipped to the CA's.
// INVALID_ARGUMENT for an empty common name, no SAN, a malformed SAN or a zero validity.
absl::StatusOr<IssuedCertificate> IssueCertificate(const CertificateAuthority& ca,
                                                   const LeafOptions& options, absl::Time now);

// Issues a certificate for a key the requester holds (a CSR's public key, as for auth's
// JoinService).
absl::StatusOr<std::string> IssueCertificateForKey(const CertificateAuthority& ca,
                                                   EVP_PKEY* public_key, const LeafOptions& options,
                                                   absl::Time now);

// PEM <-> X509.
absl::StatusOr<std::string> CertificateToPem(X509* cert);
absl::StatusOr<crypto::X509Ptr> ParseCertificatePem(std::string_view pem);

// What a certificate says about itself.
struct CertificateInfo {
  std::string common_name;
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;  // textual ("127.0.0.1", "::1")
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
};
absl::StatusOr<CertificateInfo> DescribeCertificate(X509* cert);

// OK when `leaf` chains to `ca` at time `now` and may be used for the requested TLS purposes;
// INVALID_ARGUMENT with OpenSSL's reason otherwise.
absl::Status VerifyCertificate(X509* leaf, X509* ca, absl::Time now, bool server_auth = true,
                               bool client_auth = true);

}  // namespace jit::pki

#endif  // JIT_COMMON_PKI_X509_CA_H_
