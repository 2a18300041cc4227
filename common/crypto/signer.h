// Small signature interfaces (Tink style). Implementations are created by factories that
// validate their key and can fail; once created they cannot fail for key reasons and are
// immutable, so one instance is shared by any number of threads.
#ifndef JIT_COMMON_CRYPTO_SIGNER_H_
#define JIT_COMMON_CRYPTO_SIGNER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::crypto {

// Produces signatures over byte strings. Thread-safe.
class Signer {
 public:
  virtual ~Signer() = default;
  // The signature in the implementation's documented encoding. INTERNAL if the library fails.
  virtual absl::StatusOr<std::string> Sign(std::string_view data) const = 0;
};

// Checks signatures over byte strings. Thread-safe.
class Verifier {
 public:
  virtual ~Verifier() = default;
  // OK when `signature` is valid for `data`; INVALID_ARGUMENT when it is not (malformed or
  // wrong), never a reason that would let a caller tell one case from another.
  virtual absl::Status Verify(std::string_view signature, std::string_view data) const = 0;
};

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_SIGNER_H_
