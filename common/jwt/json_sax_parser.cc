#include "common/jwt/json_sax_parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <string>

namespace jit::jwt {
namespace {

constexpr int kMaxNesting = 128;

class Reader {
 public:
  Reader(std::string_view text, nlohmann::json_sax<nlohmann::json>* handler)
      : p_(text.data()), end_(text.data() + text.size()), begin_(text.data()), h_(handler) {}

  bool Document() {
    SkipWhitespace();
    if (!Value(0)) return false;
    SkipWhitespace();
    if (p_ != end_) return Error();
    return true;
  }

 private:
  bool Error() {
    if (!handler_failed_) {
      const nlohmann::detail::parse_error e = nlohmann::detail::parse_error::create(
          101, static_cast<std::size_t>(p_ - begin_), "syntax error", nullptr);
      h_->parse_error(static_cast<std::size_t>(p_ - begin_), "", e);
    }
    return false;
  }
  // A handler callback said stop: not a syntax error.
  bool Stop() {
    handler_failed_ = true;
    return false;
  }

  void SkipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return Error();
    }
    p_ += word.size();
    return true;
  }

  bool Value(int depth) {
    if (p_ == end_) return Error();
    switch (*p_) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        return h_->string(s) ? true : Stop();
      }
      case 't':
        if (!Literal("true")) return false;
        return h_->boolean(true) ? true : Stop();
      case 'f':
        if (!Literal("false")) return false;
        return h_->boolean(false) ? true : Stop();
      case 'n':
        if (!Literal("null")) return false;
        return h_->null() ? true : Stop();
      default:
        return Number();
    }
  }

  bool Object(int depth) {
    if (depth > kMaxNesting) return Error();
    ++p_;  // '{'
    if (!h_->start_object(static_cast<std::size_t>(-1))) return Stop();
    SkipWhitespace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return h_->end_object() ? true : Stop();
    }
    while (true) {
      if (p_ == end_ || *p_ != '"') return Error();
      std::string key;
      if (!String(&key)) return false;
      if (!h_->key(key)) return Stop();
      SkipWhitespace();
      if (p_ == end_ || *p_ != ':') return Error();
      ++p_;
      SkipWhitespace();
      if (!Value(depth)) return false;
      SkipWhitespace();
      if (p_ == end_) return Error();
      if (*p_ == ',') {
        ++p_;
        SkipWhitespace();
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return h_->end_object() ? true : Stop();
      }
      return Error();
    }
  }

  bool Array(int depth) {
    if (depth > kMaxNesting) return Error();
    ++p_;  // '['
    if (!h_->start_array(static_cast<std::size_t>(-1))) return Stop();
    SkipWhitespace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return h_->end_array() ? true : Stop();
    }
    while (true) {
      if (!Value(depth)) return false;
      SkipWhitespace();
      if (p_ == end_) return Error();
      if (*p_ == ',') {
        ++p_;
        SkipWhitespace();
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return h_->end_array() ? true : Stop();
      }
      return Error();
    }
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = Hex(p_[i]);
      if (d < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    p_ += 4;
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // One UTF-8 sequence starting at p_ (first byte >= 0x80), per Unicode Table 3-7.
  bool Utf8(std::string* out) {
    const auto b = [&](int i) { return static_cast<unsigned char>(p_[i]); };
    const unsigned char c = b(0);
    int len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ < len) return false;
    if (b(1) < lo || b(1) > hi) return false;
    for (int i = 2; i < len; ++i) {
      if (b(i) < 0x80 || b(i) > 0xBF) return false;
    }
    out->append(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }

  bool String(std::string* out) {
    ++p_;  // opening quote
    while (true) {
      // Copy a run of plain ASCII at once.
      const char* run = p_;
      while (p_ != end_) {
        const unsigned char c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return Error();
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Error();
      if (c >= 0x80) {
        if (!Utf8(out)) return Error();
        continue;
      }
      // Escape.
      ++p_;
      if (p_ == end_) return Error();
      const char e = *p_++;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return Error();
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Error();  // lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return Error();
            p_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return Error();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Error();
      }
    }
  }

  bool Number() {
    const char* start = p_;
    bool negative = false;
    if (p_ != end_ && *p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ == end_) return Error();
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return Error();
    }
    bool is_float = false;
    if (p_ != end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Error();
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Error();
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (!is_float) {
      if (negative) {
        int64_t v;
        const auto [ptr, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc() && ptr == p_) return h_->number_integer(v) ? true : Stop();
      } else {
        uint64_t v;
        const auto [ptr, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc() && ptr == p_) return h_->number_unsigned(v) ? true : Stop();
      }
      // Out of 64-bit range: a float, as nlohmann reports it.
    }
    // The grammar was checked above; strtod (C locale) gives inf on overflow, 0 on underflow.
    std::string raw(start, static_cast<size_t>(p_ - start));
    const double d = std::strtod(raw.c_str(), nullptr);
    if (!std::isfinite(d)) return Error();  // nlohmann refuses overflow too
    return h_->number_float(d, raw) ? true : Stop();
  }

  const char* p_;
  const char* const end_;
  const char* const begin_;
  nlohmann::json_sax<nlohmann::json>* const h_;
  bool handler_failed_ = false;
};

}  // namespace

bool ParseJsonSax(std::string_view text, nlohmann::json_sax<nlohmann::json>* handler) {
  return Reader(text, handler).Document();
}

}  // namespace jit::jwt
