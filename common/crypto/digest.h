// SHA-256 and HMAC over OpenSSL.
#ifndef JIT_COMMON_CRYPTO_DIGEST_H_
#define JIT_COMMON_CRYPTO_DIGEST_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jit::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`. Cheap enough for hot paths (no allocation, no algorithm fetch per call);
// thread-safe.
Sha256Digest Sha256(std::string_view data);

// The same digest as a 32-byte string.
std::string Sha256String(std::string_view data);

// HMAC-SHA1 (RFC 2104) as raw bytes; TOTP (RFC 6238) uses it. INTERNAL only if OpenSSL fails.
absl::StatusOr<std::string> HmacSha1(std::string_view key, std::string_view data);

// HMAC-SHA256 as raw bytes.
absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_DIGEST_H_
