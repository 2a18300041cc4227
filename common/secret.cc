#include "common/secret.h"

#include <openssl/crypto.h>

namespace jit {

void SecretString::Wipe() noexcept {
  // Wipe the whole buffer, including capacity beyond size (old, longer contents).
  if (value_.capacity() > 0) {
    value_.resize(value_.capacity());
    OPENSSL_cleanse(value_.data(), value_.size());
  }
  value_.clear();
}

}  // namespace jit
