// Strict JSON parsing for security tokens and provider documents.
//
// RFC 7515 §5.2 and RFC 7519 §4 require rejecting (or consistently handling) duplicate member
// names; nlohmann::json silently keeps the last one, which lets two parsers disagree about
// the same token. This parser refuses duplicates at any depth, bounds size and nesting, and
// requires the top level to be an object. Invalid UTF-8 is refused (nlohmann's lexer). (The token
// hot path reads its small objects with ReadStrictJsonObject, strict_json_reader.h.)
#ifndef JIT_COMMON_JWT_STRICT_JSON_H_
#define JIT_COMMON_JWT_STRICT_JSON_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace jit::jwt {

struct StrictJsonLimits {
  size_t max_bytes = 64 * 1024;
  int max_depth = 16;
};

// INVALID_ARGUMENT "<what>: ..." when the text is not a single JSON object within limits
// without duplicate member names.
absl::StatusOr<nlohmann::json> ParseStrictJsonObject(std::string_view text, std::string_view what,
                                                     const StrictJsonLimits& limits = {});

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_STRICT_JSON_H_
