// Text the project stores or compares must be valid UTF-8 without NUL bytes: PostgreSQL's
// text refuses NUL ("invalid byte sequence for encoding UTF8: 0x00") and the client then saw a
// raw database error; a NUL also cuts C strings (PAM, OpenSSH principals) where the bytes
// after it hide. These checks run up front and answer INVALID_ARGUMENT naming the field.
//
//   RETURN_IF_ERROR(ValidateText(request.session_id(), "session_id"));
//   RETURN_IF_ERROR(ValidateMessageText(role));            // every string field of a message
//
// Errors name the field path as written in protos and role documents:
// `metadata.labels["env"]: contains a NUL byte`, `spec.allow.logins[2]: is not valid UTF-8`
// (map keys quoted bounded, common/text/quote.h). Thread-safe (pure functions).
#ifndef JIT_COMMON_TEXT_TEXT_FIELDS_H_
#define JIT_COMMON_TEXT_TEXT_FIELDS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace jit {

// True when `value` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool IsValidUtf8(std::string_view value);

// OK, or INVALID_ARGUMENT "<field>: is not valid UTF-8" / "<field>: contains a NUL byte".
absl::Status ValidateText(std::string_view value, std::string_view field);

// ValidateText over every `string` field of `message`, recursively (repeated fields, map keys
// and values, nested messages); `bytes` fields are not text and are skipped. The first bad
// field is named by its path, prefixed with `prefix` ("" = none; "role" gives "role.x"),
// which is also stored in `*bad_field` when given (for callers that map paths to lines).
absl::Status ValidateMessageText(const google::protobuf::Message& message,
                                 std::string_view prefix = "", std::string* bad_field = nullptr);

}  // namespace jit

#endif  // JIT_COMMON_TEXT_TEXT_FIELDS_H_
