#include "common/crypto/base64.h"

#include <array>
#include <cstdint>

namespace jit::crypto {
namespace {

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeDecodeTable(std::string_view alphabet) {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kStdTable = MakeDecodeTable(kStdAlphabet);
constexpr std::array<int8_t, 256> kUrlTable = MakeDecodeTable(kUrlAlphabet);

std::string Encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = byte(i) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out += "=";
  }
  return out;
}

// Decodes unpadded text (padding, if any, was removed and checked by the caller). Tokens
// are decoded on every fresh verification, so this works four characters at a time into a
// buffer of the exact size.
absl::StatusOr<std::string> DecodeUnpadded(std::string_view text,
                                           const std::array<int8_t, 256>& table,
                                           std::string_view what) {
  const size_t rem = text.size() % 4;
  if (rem == 1) return absl::InvalidArgumentError(std::string(what) + ": impossible length");
  std::string out(text.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  const size_t full = text.size() - rem;
  int8_t bad = 0;  // the OR of all table values: negative if any character was invalid
  for (size_t i = 0; i < full; i += 4) {
    const int8_t a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]], d = table[in[i + 3]];
    bad |= a | b | c | d;
    const uint32_t v = (static_cast<uint32_t>(a & 63) << 18) |
                       (static_cast<uint32_t>(b & 63) << 12) |
                       (static_cast<uint32_t>(c & 63) << 6) | static_cast<uint32_t>(d & 63);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>(v >> 8);
    *o++ = static_cast<char>(v);
  }
  if (rem != 0) {
    const int8_t a = table[in[full]], b = table[in[full + 1]];
    const int8_t c = rem == 3 ? table[in[full + 2]] : 0;
    bad |= a | b | c;
    const uint32_t v = (static_cast<uint32_t>(a & 63) << 18) |
                       (static_cast<uint32_t>(b & 63) << 12) | (static_cast<uint32_t>(c & 63) << 6);
    *o++ = static_cast<char>(v >> 16);
    if (rem == 3) *o++ = static_cast<char>(v >> 8);
    // Leftover bits must be zero, else two texts would decode to the same bytes.
    if (bad >= 0 && ((rem == 2 && (v & 0xFFFF) != 0) || (rem == 3 && (v & 0xFF) != 0))) {
      return absl::InvalidArgumentError(std::string(what) + ": non-canonical trailing bits");
    }
  }
  if (bad < 0) return absl::InvalidArgumentError(std::string(what) + ": invalid character");
  return out;
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) { return Encode(data, kUrlAlphabet, false); }

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeUnpadded(text, kUrlTable, "base64url");
}

std::string Base64Encode(std::string_view data, Base64Padding padding) {
  return Encode(data, kStdAlphabet, padding == Base64Padding::kWith);
}

absl::StatusOr<std::string> Base64Decode(std::string_view text, Base64Padding padding) {
  if (padding == Base64Padding::kWith) {
    if (text.size() % 4 != 0) return absl::InvalidArgumentError("base64: length not padded");
    size_t pads = 0;
    while (pads < 2 && pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
    text.remove_suffix(pads);
  }
  return DecodeUnpadded(text, kStdTable, "base64");
}

}  // namespace jit::crypto
