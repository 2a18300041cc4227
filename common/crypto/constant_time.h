// Comparison of secrets without timing leaks.
#ifndef JIT_COMMON_CRYPTO_CONSTANT_TIME_H_
#define JIT_COMMON_CRYPTO_CONSTANT_TIME_H_

#include <string_view>

namespace jit::crypto {

// True when `a` and `b` hold the same bytes. The time taken depends only on the lengths
// (which are not secret for fixed-size MACs, digests and codes), never on where the first
// difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_CONSTANT_TIME_H_
