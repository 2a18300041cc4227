// Encryption at rest for the services' secrets in PostgreSQL (auth: token signing keys, TOTP
// secrets, in-flight OIDC login secrets; ca: CA private keys), under a key-encryption key (KEK)
// read from a file.
//
// Sealed format (version 2, what Seal writes): 0x02 | KEK id (8 bytes) | nonce (12 bytes) |
// AES-256-GCM ciphertext | tag (16 bytes) (OpenSSL EVP; random 96-bit nonces are safe for far
// more than the few thousand secrets a deployment seals under one KEK). The version byte and
// the KEK id are authenticated too (part of the GCM associated data). Version 1 (0x01 | id |
// 24-byte nonce | XChaCha20-Poly1305, written before AES-GCM) is still opened, so rows sealed
// earlier keep working; IsLegacy tells a caller which rows to re-seal.
// The associated data binds a ciphertext to its row ("signing_key:<kid>", "totp:<user>",
// "ca_key:<kind>:<algorithm>:<key id>"), so copying a sealed value into another row makes it
// fail to open. The KEK id (a SHA-256 based fingerprint, not the key) lets Open tell "sealed
// under another KEK" from tampering.
//
// KEK file: the base64 (standard alphabet, padded) of 32 random bytes, mode 0600, e.g.
//   openssl rand -base64 32 > kek && chmod 600 kek
#ifndef JIT_COMMON_CRYPTO_KEY_ENCRYPTION_H_
#define JIT_COMMON_CRYPTO_KEY_ENCRYPTION_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::crypto {

inline constexpr size_t kKeyEncryptionKeyBytes = 32;

// Immutable after creation; thread-safe.
class KeyEncryptionKey {
 public:
  // From the raw 32 bytes. INVALID_ARGUMENT for another length; INTERNAL if libsodium
  // cannot start.
  static absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> FromBytes(const SecretString& key);
  // From a KEK file (see above). FAILED_PRECONDITION for an unreadable or too open file,
  // INVALID_ARGUMENT (naming the file) for content that is not base64 of 32 bytes.
  static absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> FromFile(const std::string& path);
  // A fresh random key (tests, tools).
  static absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> Generate();

  // Encrypts `plaintext` bound to `associated_data`. INTERNAL only if randomness fails.
  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view associated_data) const;

  // Decrypts what Seal produced (either version) with the same associated data. FAILED_PRECONDITION
  // when it was sealed under another KEK; DATA_LOSS when it is malformed, altered, or bound to
  // other associated data.
  absl::StatusOr<SecretString> Open(std::string_view sealed,
                                    std::string_view associated_data) const;

  // True when `sealed` is in the version-1 (XChaCha20-Poly1305) format: it opens, but
  // should be re-sealed (Seal writes version 2).
  static bool IsLegacy(std::string_view sealed);

  // Hex fingerprint of the key (safe to log): which KEK sealed what.
  std::string id_hex() const;

  // The raw key, for writing a generated key to a file. Never log it.
  const SecretString& key() const { return key_; }

 private:
  KeyEncryptionKey(SecretString key, std::string id) : key_(std::move(key)), id_(std::move(id)) {}

  SecretString key_;
  std::string id_;  // 8 bytes
};

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_KEY_ENCRYPTION_H_
