// PKCS#10 certificate requests (RFC 2986) and bare public keys that people send to have an
// X.509 client certificate issued: parsed with limits, the CSR's self-signature checked, the
// key held to the kinds jit-access certifies (Ed25519; ECDSA P-256, P-384, P-521; RSA of 2048
// to 8192 bits). Only the key is used: the subject of an issued certificate comes from
// policy, never from the request.
//
// Errors: INVALID_ARGUMENT naming the problem (too large, not PEM/DER, trailing data, a
// signature that does not verify, a key kind or size not accepted, an EC point off its curve).
// Thread-safety: free functions without shared state.
#ifndef JIT_COMMON_PKI_CSR_H_
#define JIT_COMMON_PKI_CSR_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/crypto/openssl_util.h"

namespace jit::pki {

// Larger requests are refused before parsing (an RSA-8192 CSR is about 2.5 KiB of PEM).
inline constexpr size_t kMaxCsrSize = 16 * 1024;

struct CertificateRequest {
  crypto::EvpPkeyPtr public_key;
  // The CN the requester wrote ("" if none); informational only.
  std::string subject_common_name;
};

// From PEM ("-----BEGIN CERTIFICATE REQUEST-----") or DER.
absl::StatusOr<CertificateRequest> ParseCsr(std::string_view csr);

// A PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") held to the same key rules.
absl::StatusOr<crypto::EvpPkeyPtr> ParseClientPublicKey(std::string_view pem);

// OK when `key` is of a kind and size jit-access certifies for people.
absl::Status CheckClientKey(EVP_PKEY* key);

}  // namespace jit::pki

#endif  // JIT_COMMON_PKI_CSR_H_
