// ECDSA over NIST P-256 with SHA-256 (JWS "ES256", X.509), through OpenSSL.
#ifndef JIT_COMMON_CRYPTO_ECDSA_P256_H_
#define JIT_COMMON_CRYPTO_ECDSA_P256_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/crypto/openssl_util.h"
#include "common/crypto/signer.h"

namespace jit::crypto {

enum class EcdsaSignatureEncoding {
  // r || s, each 32 bytes big-endian (IEEE P1363; what JWS uses, RFC 7518 §3.4).
  kIeeeP1363,
  // ASN.1 DER SEQUENCE { r, s } (X.509, TLS).
  kDer,
};

class EcdsaP256Signer final : public Signer {
 public:
  // INVALID_ARGUMENT unless `private_key` is a P-256 private key.
  static absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> Create(EvpPkeyPtr private_key,
                                                                 EcdsaSignatureEncoding encoding);
  absl::StatusOr<std::string> Sign(std::string_view data) const override;

 private:
  EcdsaP256Signer(EvpPkeyPtr key, EcdsaSignatureEncoding encoding)
      : key_(std::move(key)), encoding_(encoding) {}
  EvpPkeyPtr key_;
  EcdsaSignatureEncoding encoding_;
};

class EcdsaP256Verifier final : public Verifier {
 public:
  // INVALID_ARGUMENT unless `public_key` is a P-256 key with a valid point.
  static absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> Create(
      EvpPkeyPtr public_key, EcdsaSignatureEncoding encoding);
  // From affine coordinates (32 bytes each, big-endian), as in a JWK's "x" and "y".
  // INVALID_ARGUMENT when the point is not on the curve.
  static absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> FromCoordinates(
      std::string_view x, std::string_view y, EcdsaSignatureEncoding encoding);

  absl::Status Verify(std::string_view signature, std::string_view data) const override;

 private:
  EcdsaP256Verifier(EvpPkeyPtr key, EcdsaSignatureEncoding encoding)
      : key_(std::move(key)), encoding_(encoding) {}
  EvpPkeyPtr key_;
  EcdsaSignatureEncoding encoding_;
};

// The affine coordinates of a P-256 key (public or private), 32 bytes each.
struct EcPoint {
  std::string x;
  std::string y;
};
absl::StatusOr<EcPoint> P256PublicCoordinates(EVP_PKEY* key);

// A P-256 public key from its coordinates; INVALID_ARGUMENT when not on the curve.
absl::StatusOr<EvpPkeyPtr> P256PublicKeyFromCoordinates(std::string_view x, std::string_view y);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_ECDSA_P256_H_
