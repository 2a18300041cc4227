#include "common/text/quote.h"

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"

namespace jit {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string_view Utf8Prefix(std::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return value;
  size_t end = max_bytes;
  // Back off over at most three continuation bytes to the start of the cut character.
  for (int i = 0; i < 3 && end > 0 && IsContinuationByte(value[end]); ++i) --end;
  if (end > 0 && IsContinuationByte(value[end])) end = max_bytes;  // not UTF-8 anyway
  return value.substr(0, end);
}

void AppendQuoteBounded(std::string* out, std::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) {
    absl::StrAppend(out, "\"", AsAbsl(value), "\"");
    return;
  }
  absl::StrAppend(out, "\"", AsAbsl(Utf8Prefix(value, max_bytes)), "...\" (", value.size(),
                  " bytes)");
}

std::string QuoteBounded(std::string_view value, size_t max_bytes) {
  std::string out;
  AppendQuoteBounded(&out, value, max_bytes);
  return out;
}

std::string TruncateText(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return absl::StrCat(AsAbsl(Utf8Prefix(text, max_bytes)), "... (", text.size(), " bytes)");
}

}  // namespace jit
