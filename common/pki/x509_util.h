// Building blocks shared by jit-access's X.509 issuers (service identity in x509_ca, people's
// client certificates in client_cert, revocation lists in crl): random serials, validity,
// names, extensions and signing with whatever key type the CA holds. Internal to common/pki.
// All functions are thread-compatible and report OpenSSL failures as INTERNAL, bad caller
// input as INVALID_ARGUMENT.
#ifndef JIT_COMMON_PKI_X509_UTIL_H_
#define JIT_COMMON_PKI_X509_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/openssl_util.h"

namespace jit::pki::internal {

// Sets a random 128-bit positive serial (16 bytes, first byte non-zero) and returns it as
// lowercase hex.
absl::StatusOr<std::string> SetRandomSerial(X509* cert);

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after);

// A name of O=<each organization>, CN=<common_name>, UTF-8. INVALID_ARGUMENT for a value
// OpenSSL refuses (too long for its type, say).
absl::StatusOr<crypto::X509NamePtr> MakeName(const std::vector<std::string>& organizations,
                                             const std::string& common_name);

// The DER SubjectPublicKeyInfo of a public key, built from the key's parameters (Ed25519,
// EC on a named curve, RSA), without OpenSSL 3.0's encoder lookup that i2d_PUBKEY and
// X509_set_pubkey do (several signatures' worth of CPU per call). Also returns the
// subjectPublicKey bits (what a key identifier hashes). INVALID_ARGUMENT for another type.
struct PublicKeyInfo {
  std::string spki_der;
  std::string key_bits;
};
absl::StatusOr<PublicKeyInfo> SubjectPublicKeyInfo(EVP_PKEY* key);

// Signing DER `tbs` with a CA key the way X509_sign would: Ed25519 (pure), ECDSA with
// SHA-256, RSA PKCS#1 v1.5 with SHA-256. SignatureAlgorithmDer is the AlgorithmIdentifier
// (it appears in the TBSCertificate and after it); SignTbs returns the signature value (the
// BIT STRING's bytes). INVALID_ARGUMENT for another key type.
absl::StatusOr<std::string> SignatureAlgorithmDer(EVP_PKEY* key);
absl::StatusOr<std::string> SignTbs(EVP_PKEY* key, std::string_view tbs);

// SHA-256 as a fetched EVP_MD, once per process (X509_sign with EVP_sha256() fetches the
// implementation on every call).
const EVP_MD* FetchedSha256();

// Adds an extension from a fixed configuration string (never user input).
absl::Status AddConfExtension(X509* cert, X509* issuer, int nid, const char* value);

// Signs with the digest that suits the key: none for Ed25519, SHA-256 otherwise.
absl::Status SignCertificate(X509* cert, EVP_PKEY* key);
absl::Status SignCrl(X509_CRL* crl, EVP_PKEY* key);

absl::Time Asn1ToTime(const ASN1_TIME* t);

// Lowercase hex of a serial number (big-endian, no leading zero bytes).
std::string SerialHex(const ASN1_INTEGER* serial);
// The inverse; INVALID_ARGUMENT unless 1..40 hex digits of a positive number.
absl::StatusOr<crypto::Asn1IntegerPtr> SerialFromHex(std::string_view hex);

}  // namespace jit::pki::internal

#endif  // JIT_COMMON_PKI_X509_UTIL_H_
