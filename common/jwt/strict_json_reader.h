// Strict reading of the small JSON objects on the token hot path (JWS protected headers,
// session-token claims) with simdjson's DOM parser (Debian's libsimdjson), without building an
// nlohmann::json.
//
// simdjson validates the whole text (RFC 8259 grammar, UTF-8, escapes, surrogate pairs) before
// any member is seen. On top of that, as ParseStrictJsonObject: the top level must be an
// object, member names are unique in every object at any depth (refused while iterating the
// fields, before the member is visited), containers nest at most `limits.max_depth` deep (the
// top-level object counts 1) and the text is at most `limits.max_bytes`. Stricter than
// nlohmann in two ways: a leading byte order mark (RFC 8259 §8.1) and integers outside the
// 64-bit range (which nlohmann turns into floats) are refused as malformed.
#ifndef JIT_COMMON_JWT_STRICT_JSON_READER_H_
#define JIT_COMMON_JWT_STRICT_JSON_READER_H_

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/jwt/strict_json.h"
#include "simdjson.h"

namespace jit::jwt {

// Visits the members of the top-level object of `text` in order, each after its value was
// checked (uniqueness and depth within it). INVALID_ARGUMENT "<what>: too large" /
// "malformed JSON" / "not a JSON object" / "nested too deeply" / "duplicate member name";
// otherwise the first non-OK status `member` returns, unchanged (later members are not
// visited). The name and value passed to `member` are valid only during that call.
// Thread-safe. Texts of up to 4 KiB are parsed by a parser kept per thread (about 64 KB),
// larger ones by a parser of their own; `member` may itself call ReadStrictJsonObject.
absl::Status ReadStrictJsonObject(
    std::string_view text, std::string_view what, const StrictJsonLimits& limits,
    absl::FunctionRef<absl::Status(std::string_view name, simdjson::dom::element value)> member);

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_STRICT_JSON_READER_H_
