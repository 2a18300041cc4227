// A small, strict, fast JSON (RFC 8259) reader that drives an nlohmann::json_sax handler.
//
// Why: verifying a fresh session token must cost little more than its signature check, and
// nlohmann's own lexer spent more time on a 350-byte claims object than everything else in the
// verification together. This reader accepts exactly what nlohmann::json::accept() accepts
// (one value, optional surrounding whitespace; strings with valid UTF-8, no raw control
// characters, escapes including surrogate pairs; RFC 8259 numbers) and reports the same
// events, which json_sax_parser_test checks differentially on a corpus and on mutations.
// Integers that do not fit 64 bits are reported as floats, as nlohmann does; floats that
// overflow are refused, as nlohmann does. One deliberate difference: a leading UTF-8 byte
// order mark, which nlohmann skips, is refused (RFC 8259 §8.1 forbids sending one; tokens
// never carry one).
#ifndef JIT_COMMON_JWT_JSON_SAX_PARSER_H_
#define JIT_COMMON_JWT_JSON_SAX_PARSER_H_

#include <string_view>

#include "nlohmann/json.hpp"

namespace jit::jwt {

// Feeds `text` to `handler`. False when the text is not valid JSON (handler->parse_error is
// called) or when a handler callback returned false. Nesting deeper than 128 is refused.
bool ParseJsonSax(std::string_view text, nlohmann::json_sax<nlohmann::json>* handler);

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_JSON_SAX_PARSER_H_
