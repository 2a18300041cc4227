#include "common/pki/der.h"

#include <openssl/objects.h>

#include "absl/time/civil_time.h"

namespace jit::pki::der {
namespace {

void AppendLength(std::string& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<char>(len));
    return;
  }
  char bytes[8];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) bytes[n++] = static_cast<char>(v & 0xff);
  out.push_back(static_cast<char>(0x80 | n));
  while (n > 0) out.push_back(bytes[--n]);
}

std::string OidOf(const ASN1_OBJECT* obj) {
  if (obj == nullptr || OBJ_length(obj) == 0) return "";
  return Tlv(kOid,
             std::string_view(reinterpret_cast<const char*>(OBJ_get0_data(obj)), OBJ_length(obj)));
}

}  // namespace

void Append(std::string& out, uint8_t tag, std::string_view content) {
  out.push_back(static_cast<char>(tag));
  AppendLength(out, content.size());
  out.append(content.data(), content.size());
}

std::string Tlv(uint8_t tag, std::string_view content) {
  std::string out;
  out.reserve(content.size() + 6);
  Append(out, tag, content);
  return out;
}

std::string UnsignedInteger(std::string_view magnitude) {
  while (magnitude.size() > 1 && magnitude[0] == '\0') magnitude.remove_prefix(1);
  std::string content;
  if (magnitude.empty() || (static_cast<uint8_t>(magnitude[0]) & 0x80) != 0) {
    content.push_back('\0');
  }
  content.append(magnitude.data(), magnitude.size());
  return Tlv(kInteger, content);
}

std::string Oid(int nid) { return OidOf(OBJ_nid2obj(nid)); }

std::string OidFromText(const char* dotted) {
  ASN1_OBJECT* obj = OBJ_txt2obj(dotted, 1);
  std::string out = OidOf(obj);
  ASN1_OBJECT_free(obj);
  return out;
}

std::string BitString(std::string_view bytes) {
  std::string content(1, '\0');
  content.append(bytes.data(), bytes.size());
  return Tlv(kBitString, content);
}

std::string Time(absl::Time t) {
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  char buf[32];
  if (c.year() >= 1950 && c.year() <= 2049) {
    std::snprintf(buf, sizeof(buf), "%02d%02d%02d%02d%02d%02dZ", static_cast<int>(c.year() % 100),
                  c.month(), c.day(), c.hour(), c.minute(), c.second());
    return Tlv(kUtcTime, buf);
  }
  std::snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02dZ", static_cast<int>(c.year()),
                c.month(), c.day(), c.hour(), c.minute(), c.second());
  return Tlv(kGeneralizedTime, buf);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int n;
    uint32_t cp;
    if ((b & 0xe0) == 0xc0) {
      n = 1;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 2;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(n) >= s.size()) return false;  // continuation bytes missing
    for (int k = 1; k <= n; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

}  // namespace jit::pki::der
