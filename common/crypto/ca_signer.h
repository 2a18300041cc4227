// CaSigner: a certificate authority's private key behind one interface: raw signatures for
// OpenSSH certificates (Sign; common/ssh/signature.h makes SSH blobs) and key() for X.509
// certificates and CRLs. Ed25519 (libsodium), ECDSA P-256/SHA-256 and RSA >= 3072 with
// PKCS#1 v1.5/SHA-512 (rsa-sha2-512) through OpenSSL. A private key's storage form is PKCS#8
// PEM in a SecretString (sealing at rest is the key store's job); key bytes never reach a log
// or an error. Errors: INVALID_ARGUMENT for an unreadable key, an unsupported kind or curve,
// or RSA under 3072 bits; Sign gives INTERNAL only if the library fails.
// Thread-safety: immutable; any number of threads may sign at once.
#ifndef JIT_COMMON_CRYPTO_CA_SIGNER_H_
#define JIT_COMMON_CRYPTO_CA_SIGNER_H_

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::crypto {

enum class CaKeyAlgorithm { kEd25519, kEcdsaP256, kRsa };

// "ed25519", "ecdsa-p256", "rsa".
std::string_view CaKeyAlgorithmName(CaKeyAlgorithm algorithm);
// The inverse; INVALID_ARGUMENT naming the accepted names otherwise.
absl::StatusOr<CaKeyAlgorithm> ParseCaKeyAlgorithm(std::string_view name);

inline constexpr int kMinCaRsaBits = 3072;
inline constexpr int kMaxCaRsaBits = 8192;

// A fresh private key (PKCS#8 PEM). `rsa_bits` applies to kRsa only (3072..8192).
absl::StatusOr<SecretString> GenerateCaPrivateKey(CaKeyAlgorithm algorithm,
                                                  int rsa_bits = kMinCaRsaBits);

class CaSigner {
 public:
  // From a PKCS#8 PEM private key of a supported kind.
  static absl::StatusOr<std::unique_ptr<CaSigner>> Create(const SecretString& private_key_pem);

  virtual ~CaSigner() = default;

  virtual CaKeyAlgorithm algorithm() const = 0;

  // A signature over `data`:
  //   Ed25519     64 bytes (RFC 8032)
  //   ECDSA P-256 SHA-256, r || s as 32 bytes each (IEEE P1363)
  //   RSA         PKCS#1 v1.5 with SHA-512, as long as the modulus
  virtual absl::StatusOr<std::string> Sign(std::string_view data) const = 0;

  // The key as an OpenSSL object (private and public), owned by the signer and valid for its
  // lifetime, for OpenSSL's X.509 and CRL signing and for reading the public key.
  virtual EVP_PKEY* key() const = 0;
};

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_CA_SIGNER_H_
