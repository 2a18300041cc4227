#include "services/audit/chain/details_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "nlohmann/json.hpp"

namespace jit::audit::chain {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Nesting allowed when reading stored details (ingest allows less; see event_validation.h).
constexpr int kMaxReadDepth = 128;

void AppendStruct(const Struct& s, std::string* out) {
  std::vector<const std::string*> keys;
  keys.reserve(s.fields_size());
  for (const auto& [key, value] : s.fields()) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  out->push_back('{');
  bool first = true;
  for (const std::string* key : keys) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(*key, out);
    out->push_back(':');
    AppendJsonValue(s.fields().at(*key), out);
  }
  out->push_back('}');
}

bool FromJson(const nlohmann::json& j, Value* out, int depth);

bool StructFromJson(const nlohmann::json& j, Struct* out, int depth) {
  if (depth > kMaxReadDepth) return false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!FromJson(it.value(), &(*out->mutable_fields())[it.key()], depth + 1)) return false;
  }
  return true;
}

bool FromJson(const nlohmann::json& j, Value* out, int depth) {
  if (depth > kMaxReadDepth) return false;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return true;
    case nlohmann::json::value_t::boolean:
      out->set_bool_value(j.get<bool>());
      return true;
    case nlohmann::json::value_t::number_integer:
      out->set_number_value(static_cast<double>(j.get<int64_t>()));
      return true;
    case nlohmann::json::value_t::number_unsigned:
      out->set_number_value(static_cast<double>(j.get<uint64_t>()));
      return true;
    case nlohmann::json::value_t::number_float:
      out->set_number_value(j.get<double>());
      return true;
    case nlohmann::json::value_t::string:
      out->set_string_value(j.get_ref<const std::string&>());
      return true;
    case nlohmann::json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& item : j) {
        if (!FromJson(item, list->add_values(), depth + 1)) return false;
      }
      return true;
    }
    case nlohmann::json::value_t::object:
      return StructFromJson(j, out->mutable_struct_value(), depth);
    default:
      return false;
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonNumber(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  if (d == 0) d = 0;  // no "-0"
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, ec == std::errc() ? end - buf : 0);
}

void AppendJsonValue(const Value& v, std::string* out) {
  switch (v.kind_case()) {
    case Value::kNumberValue:
      AppendJsonNumber(v.number_value(), out);
      return;
    case Value::kStringValue:
      AppendJsonString(v.string_value(), out);
      return;
    case Value::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      return;
    case Value::kStructValue:
      AppendStruct(v.struct_value(), out);
      return;
    case Value::kListValue: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.list_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonValue(item, out);
      }
      out->push_back(']');
      return;
    }
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      out->append("null");
      return;
  }
  out->append("null");
}

std::string DetailsToJson(const Struct& details) {
  std::string out;
  AppendStruct(details, &out);
  return out;
}

absl::StatusOr<Struct> DetailsFromJson(std::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                                /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::DataLossError("stored details are not a JSON object");
  }
  Struct out;
  if (!StructFromJson(parsed, &out, 0)) {
    return absl::DataLossError("stored details nest too deeply or hold an unknown value");
  }
  return out;
}

}  // namespace jit::audit::chain
