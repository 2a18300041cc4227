#include "common/crypto/random.h"

#include <openssl/rand.h>

#include <limits>

#include "common/crypto/base64.h"
#include "common/crypto/openssl_util.h"

namespace jit::crypto {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError("RandomBytes: length too large");
  }
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return OpenSslError("RAND_bytes");
  }
  return out;
}

absl::StatusOr<SecretString> RandomSecret(size_t n) {
  absl::StatusOr<std::string> bytes = RandomBytes(n);
  if (!bytes.ok()) return bytes.status();
  return SecretString(std::move(*bytes));
}

absl::StatusOr<std::string> RandomToken(size_t n) {
  absl::StatusOr<std::string> bytes = RandomBytes(n);
  if (!bytes.ok()) return bytes.status();
  return Base64UrlEncode(*bytes);
}

}  // namespace jit::crypto
