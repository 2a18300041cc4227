#include "common/jwt/strict_json.h"

#include <string>
#include <vector>

namespace jit::jwt {

absl::StatusOr<nlohmann::json> ParseStrictJsonObject(std::string_view text, std::string_view what,
                                                     const StrictJsonLimits& limits) {
  const std::string prefix = std::string(what) + ": ";
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(prefix + "too large");
  }
  // nlohmann's lexer takes a NUL byte for the end of the input and would ignore what
  // follows; no JSON text holds a raw NUL (in strings it must be escaped).
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(prefix + "malformed JSON");
  }
  // Members seen per open object; an object whose final size is smaller than the number of
  // members read had a duplicate name.
  std::vector<size_t> members;
  bool duplicate = false;
  bool too_deep = false;
  const nlohmann::json::parser_callback_t callback =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        switch (event) {
          case Event::object_start:
            members.push_back(0);
            [[fallthrough]];
          case Event::array_start:
            if (depth >= limits.max_depth) too_deep = true;
            break;
          case Event::key:
            if (!members.empty()) ++members.back();
            break;
          case Event::object_end:
            if (!members.empty()) {
              if (parsed.size() != members.back()) duplicate = true;
              members.pop_back();
            }
            break;
          default:
            break;
        }
        return true;
      };
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback,
                                               /*allow_exceptions=*/false,
                                               /*ignore_comments=*/false);
  if (value.is_discarded()) return absl::InvalidArgumentError(prefix + "malformed JSON");
  if (too_deep) return absl::InvalidArgumentError(prefix + "nested too deeply");
  if (duplicate) return absl::InvalidArgumentError(prefix + "duplicate member name");
  if (!value.is_object()) return absl::InvalidArgumentError(prefix + "not a JSON object");
  return value;
}

}  // namespace jit::jwt
