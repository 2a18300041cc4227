// Base32 (RFC 4648 §6), as used by TOTP secrets in otpauth:// URIs.
#ifndef JIT_COMMON_CRYPTO_BASE32_H_
#define JIT_COMMON_CRYPTO_BASE32_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jit::crypto {

// Upper-case alphabet A-Z2-7, no '=' padding (authenticator apps expect none).
std::string Base32Encode(std::string_view data);

// Accepts upper or lower case, with or without trailing '=' padding, and ignores spaces
// (people type secrets in groups). Other characters, an impossible length or non-zero
// unused bits are INVALID_ARGUMENT.
absl::StatusOr<std::string> Base32Decode(std::string_view text);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_BASE32_H_
