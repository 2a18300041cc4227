// The jit-access version every binary reports (--version).
#ifndef JIT_COMMON_VERSION_H_
#define JIT_COMMON_VERSION_H_

namespace jit {

inline constexpr char kVersion[] = "0.1.0-dev";

}  // namespace jit

#endif  // JIT_COMMON_VERSION_H_
