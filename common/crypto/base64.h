// Base64 (RFC 4648 §4) and base64url (§5) with strict decoding.
//
// Decoders accept exactly one spelling of each byte string: characters outside the alphabet,
// whitespace, misplaced or unexpected padding, an impossible length and non-zero unused bits
// in the last character are all INVALID_ARGUMENT. JWS (RFC 7515 §2) uses base64url without
// padding; PHC password hashes use standard base64 without padding.
#ifndef JIT_COMMON_CRYPTO_BASE64_H_
#define JIT_COMMON_CRYPTO_BASE64_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jit::crypto {

// base64url, no padding.
std::string Base64UrlEncode(std::string_view data);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

// Standard alphabet ('+', '/'); with or without '=' padding.
enum class Base64Padding { kWith, kWithout };
std::string Base64Encode(std::string_view data, Base64Padding padding = Base64Padding::kWith);
absl::StatusOr<std::string> Base64Decode(std::string_view text,
                                         Base64Padding padding = Base64Padding::kWith);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_BASE64_H_
