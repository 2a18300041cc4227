// Quoting untrusted input into messages and explanations without echoing it whole.
//
// A request can carry megabytes in one field (a role name, a label value); an error or an
// explanation that repeats it would send the megabytes back (twice, when it is quoted in a
// summary and in a detail), past the caller's message limit. Every place that quotes a
// value it did not produce quotes it through here:
//
//   QuoteBounded("web-1")          -> "\"web-1\""
//   QuoteBounded(<100000 x 'a'>)   -> "\"aaaa...(first 128 bytes)...\" (100000 bytes)"
//
// The cut falls on a UTF-8 character boundary, so a valid string stays valid. Thread-safe
// (pure functions).
#ifndef JIT_COMMON_TEXT_QUOTE_H_
#define JIT_COMMON_TEXT_QUOTE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace jit {

// How much of an untrusted value a message quotes.
inline constexpr size_t kMaxQuotedBytes = 128;

// `value` in double quotes; when longer than `max_bytes`, its first `max_bytes` (or fewer,
// to end on a character boundary) followed by `..." (<size> bytes)`.
std::string QuoteBounded(std::string_view value, size_t max_bytes = kMaxQuotedBytes);

// The same, appended to `*out` (no temporary: for hot paths that build a summary).
void AppendQuoteBounded(std::string* out, std::string_view value,
                        size_t max_bytes = kMaxQuotedBytes);

// The longest prefix of `value` of at most `max_bytes` that does not split a UTF-8
// character (for a valid string; an invalid one is cut at `max_bytes`).
std::string_view Utf8Prefix(std::string_view value, size_t max_bytes);

// `text` itself when it is at most `max_bytes`; else its Utf8Prefix and
// "... (<size> bytes)". For whole messages (common/grpc_status.h caps what a status
// carries).
std::string TruncateText(std::string_view text, size_t max_bytes);

}  // namespace jit

#endif  // JIT_COMMON_TEXT_QUOTE_H_
