// Strict JSON parsing for security tokens and provider documents.
//
// RFC 7515 §5.2 and RFC 7519 §4 require rejecting (or consistently handling) duplicate member
// names; nlohmann::json silently keeps the last one, which lets two parsers disagree about
// the same token. This parser refuses duplicates at any depth, bounds size and nesting, and
// requires the top level to be an object. Invalid UTF-8 is refused by the lexer.
#ifndef JIT_COMMON_JWT_STRICT_JSON_H_
#define JIT_COMMON_JWT_STRICT_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// Bookkeeping for SAX handlers (nlohmann::json_sax) that parse hot-path documents (token
// headers and claims) without building a DOM, with the same strictness: member names unique
// per object at every depth, nesting bounded. Each call returns false and sets error() on a
// violation.
class JsonStructure {
 public:
  explicit JsonStructure(int max_depth) : max_depth_(max_depth) { open_.reserve(4); }
  bool OpenObject() { return Open(true); }
  bool OpenArray() { return Open(false); }
  bool Key(const std::string& key);
  void Close() {
    if (!open_.empty()) open_.pop_back();
  }
  // Number of open containers: 1 while reading members of the top-level object.
  int depth() const { return static_cast<int>(open_.size()); }
  bool in_array() const { return !open_.empty() && !open_.back().is_object; }
  const char* error() const { return error_; }

 private:
  struct Container {
    bool is_object;
    std::vector<std::string> keys;
  };
  bool Open(bool is_object);

  std::vector<Container> open_;
  int max_depth_;
  const char* error_ = nullptr;
};

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_STRICT_JSON_H_
