// AsAbsl: std::string_view -> absl::string_view. Debian's Abseil 20220623 has its own
// string_view type, so absl::StrCat, StrSplit, StripAsciiWhitespace and hash-set lookups do
// not take a std::string_view directly.
#ifndef JIT_COMMON_ABSL_STRING_VIEW_H_
#define JIT_COMMON_ABSL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace jit {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace jit

#endif  // JIT_COMMON_ABSL_STRING_VIEW_H_
