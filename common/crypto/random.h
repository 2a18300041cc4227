// Cryptographically secure random bytes (OpenSSL's DRBG).
#ifndef JIT_COMMON_CRYPTO_RANDOM_H_
#define JIT_COMMON_CRYPTO_RANDOM_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::crypto {

// `n` random bytes. INTERNAL if the DRBG fails (never silently weaker randomness).
absl::StatusOr<std::string> RandomBytes(size_t n);

// `n` random bytes held as a secret (keys, TOTP secrets).
absl::StatusOr<SecretString> RandomSecret(size_t n);

// `n` random bytes, base64url-encoded without padding: identifiers and one-time values
// (session ids, OIDC state and nonce, PKCE verifiers). 32 bytes give 43 characters.
absl::StatusOr<std::string> RandomToken(size_t n = 32);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_RANDOM_H_
