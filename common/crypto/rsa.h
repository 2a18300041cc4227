// RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256"), through OpenSSL. jit-access signs nothing with
// RSA itself; OIDC providers commonly sign ID tokens this way.
#ifndef JIT_COMMON_CRYPTO_RSA_H_
#define JIT_COMMON_CRYPTO_RSA_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/crypto/openssl_util.h"
#include "common/crypto/signer.h"

namespace jit::crypto {

// Keys shorter than this are refused (NIST SP 800-131A).
inline constexpr int kMinRsaModulusBits = 2048;

absl::StatusOr<EvpPkeyPtr> GenerateRsaKey(int bits = 2048);

class RsaSsaPkcs1Sha256Signer final : public Signer {
 public:
  // INVALID_ARGUMENT unless `private_key` is an RSA private key of at least 2048 bits.
  static absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Signer>> Create(EvpPkeyPtr private_key);
  absl::StatusOr<std::string> Sign(std::string_view data) const override;

 private:
  explicit RsaSsaPkcs1Sha256Signer(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

class RsaSsaPkcs1Sha256Verifier final : public Verifier {
 public:
  // INVALID_ARGUMENT unless `public_key` is an RSA key of at least 2048 bits.
  static absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Verifier>> Create(EvpPkeyPtr public_key);
  // From big-endian modulus and public exponent, as in a JWK's "n" and "e".
  static absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Verifier>> FromModulusExponent(
      std::string_view n, std::string_view e);

  absl::Status Verify(std::string_view signature, std::string_view data) const override;

 private:
  explicit RsaSsaPkcs1Sha256Verifier(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

// Modulus and exponent of an RSA key, big-endian without leading zeros.
struct RsaPublicNumbers {
  std::string n;
  std::string e;
};
absl::StatusOr<RsaPublicNumbers> RsaPublicNumbersOf(EVP_PKEY* key);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_RSA_H_
