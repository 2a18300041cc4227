#include "common/text/text_fields.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "google/protobuf/descriptor.h"

namespace jit {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Join(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return absl::StrCat(AsAbsl(prefix), ".", AsAbsl(name));
}

// The key of a map entry as it appears in a path: ["key"] for strings, [42] otherwise.
std::string MapKeyPath(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* r = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return absl::StrCat("[", QuoteBounded(r->GetString(entry, key)), "]");
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat("[", r->GetInt32(entry, key), "]");
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat("[", r->GetInt64(entry, key), "]");
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat("[", r->GetUInt32(entry, key), "]");
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat("[", r->GetUInt64(entry, key), "]");
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(entry, key) ? "[true]" : "[false]";
    default:
      return "[?]";
  }
}

absl::Status ValidateMessage(const Message& message, const std::string& prefix,
                             std::string* bad_field);

// Validates one text value, recording its path in `*bad_field` when it fails.
absl::Status CheckText(std::string_view value, const std::string& path, std::string* bad_field) {
  absl::Status s = ValidateText(value, path);
  if (!s.ok() && bad_field != nullptr) *bad_field = path;
  return s;
}

absl::Status ValidateField(const Message& message, const FieldDescriptor* field,
                           const std::string& path, std::string* bad_field) {
  const Reflection* r = message.GetReflection();
  const bool is_text = field->type() == FieldDescriptor::TYPE_STRING;
  const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  if (!is_text && !is_message) return absl::OkStatus();
  if (field->is_map()) {
    // Keys first (a path quotes them), then each value under its key: labels["env"].
    const FieldDescriptor* key = field->message_type()->map_key();
    const FieldDescriptor* value = field->message_type()->map_value();
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      const Message& entry = r->GetRepeatedMessage(message, field, i);
      if (key->type() == FieldDescriptor::TYPE_STRING) {
        RETURN_IF_ERROR(CheckText(entry.GetReflection()->GetString(entry, key),
                                  absl::StrCat(path, " key"), bad_field));
      }
      RETURN_IF_ERROR(
          ValidateField(entry, value, absl::StrCat(path, MapKeyPath(entry)), bad_field));
    }
    return absl::OkStatus();
  }
  if (field->is_repeated()) {
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      const std::string item_path = absl::StrCat(path, "[", i, "]");
      RETURN_IF_ERROR(
          is_text
              ? CheckText(r->GetRepeatedString(message, field, i), item_path, bad_field)
              : ValidateMessage(r->GetRepeatedMessage(message, field, i), item_path, bad_field));
    }
    return absl::OkStatus();
  }
  if (is_text) return CheckText(r->GetString(message, field), path, bad_field);
  if (!r->HasField(message, field)) return absl::OkStatus();
  return ValidateMessage(r->GetMessage(message, field), path, bad_field);
}

absl::Status ValidateMessage(const Message& message, const std::string& prefix,
                             std::string* bad_field) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);  // set fields only
  for (const FieldDescriptor* field : fields) {
    RETURN_IF_ERROR(ValidateField(message, field, Join(prefix, field->name()), bad_field));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidUtf8(std::string_view value) {
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const unsigned char* const end = p + value.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int length;
    uint32_t min;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return false;  // a continuation byte without a lead, or 0xF8..0xFF
    }
    if (end - p < length) return false;
    for (int i = 1; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    p += length;
  }
  return true;
}

absl::Status ValidateText(std::string_view value, std::string_view field) {
  if (value.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": contains a NUL byte"));
  }
  if (!IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageText(const google::protobuf::Message& message, std::string_view prefix,
                                 std::string* bad_field) {
  return ValidateMessage(message, std::string(prefix), bad_field);
}

}  // namespace jit
