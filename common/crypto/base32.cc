#include "common/crypto/base32.h"

#include <cstdint>

namespace jit::crypto {
namespace {
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}
}  // namespace

std::string Base32Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (5 - bits)) & 31]);
  return out;
}

absl::StatusOr<std::string> Base32Decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != ' ') clean.push_back(c);
  }
  while (!clean.empty() && clean.back() == '=') clean.pop_back();
  // Valid unpadded lengths mod 8: 0, 2, 4, 5, 7.
  const size_t rem = clean.size() % 8;
  if (rem == 1 || rem == 3 || rem == 6) {
    return absl::InvalidArgumentError("base32: impossible length");
  }
  std::string out;
  out.reserve(clean.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : clean) {
    const int v = DecodeChar(c);
    if (v < 0) return absl::InvalidArgumentError("base32: invalid character");
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base32: non-canonical trailing bits");
  }
  return out;
}

}  // namespace jit::crypto
