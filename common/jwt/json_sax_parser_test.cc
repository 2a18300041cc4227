#include "common/jwt/json_sax_parser.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::jwt {
namespace {

// Records every event as text, so two parsers can be compared.
class Recorder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string events;
  bool null() override { return Add("null"); }
  bool boolean(bool v) override { return Add(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return Add(absl::StrCat("i", v)); }
  bool number_unsigned(number_unsigned_t v) override { return Add(absl::StrCat("u", v)); }
  bool number_float(number_float_t v, const string_t& raw) override {
    return Add(absl::StrCat("f", raw));
  }
  bool string(string_t& v) override { return Add("s:" + v); }
  bool binary(binary_t&) override { return Add("bin"); }
  bool start_object(std::size_t) override { return Add("{"); }
  bool key(string_t& k) override { return Add("k:" + k); }
  bool end_object() override { return Add("}"); }
  bool start_array(std::size_t) override { return Add("["); }
  bool end_array() override { return Add("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Add(const std::string& e) {
    events += e;
    events += '\x1f';
    return true;
  }
};

struct Outcome {
  bool ok;
  std::string events;
};

Outcome Ours(const std::string& text) {
  Recorder r;
  const bool ok = ParseJsonSax(text, &r);
  return {ok, r.events};
}

Outcome Theirs(const std::string& text) {
  Recorder r;
  const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &r,
                                            nlohmann::json::input_format_t::json, true, false);
  return {ok, r.events};
}

void ExpectSameAsNlohmann(const std::string& text) {
  const Outcome ours = Ours(text);
  const Outcome theirs = Theirs(text);
  ASSERT_EQ(ours.ok, theirs.ok) << "input: " << ::testing::PrintToString(text);
  if (ours.ok) {
    EXPECT_EQ(ours.events, theirs.events) << "input: " << ::testing::PrintToString(text);
  }
}

const std::vector<std::string>& Corpus() {
  static const auto* corpus = new std::vector<std::string>{
      R"({"iss":"jit-access","sub":"alice","aud":["a","b"],"iat":1700000000,"exp":1700028800,)"
      R"("roles":["dev"],"traits":{"logins":["alice","root"]},"mfa":true,"x":null})",
      R"({"alg":"EdDSA","kid":"k1","typ":"JWT"})",
      R"([1,-1,0,-0,1.5,-2.25e+3,1E-2,18446744073709551615,18446744073709551616,)"
      R"(-9223372036854775808,-9223372036854775809,1e400,123456789012345678901234567890])",
      R"("esc \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00")",
      "\"raw utf8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
      R"(  { "a" : [ ] , "b" : { } , "c" : [ { } ] }  )",
      "true", "false", "null", "0", "\"\"", "{}", "[]",
      // Invalid.
      "", " ", "{", "}", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "01", "1.",
      ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "truex",
      "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\ud800\"",
      "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"ctl \x01\"", "\"tab \t\"", "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "\"\x80\"", "\"\xff\"",
      "{\"a\":1} {\"b\":2}", "[1 2]", "{\"a\" 1}", "{'a':1}", "{a:1}", "[1]x", "// c\n1",
  };
  return *corpus;
}

TEST(JsonSaxParserTest, AgreesWithNlohmannOnTheCorpus) {
  for (const std::string& text : Corpus()) ExpectSameAsNlohmann(text);
}

TEST(JsonSaxParserTest, AgreesWithNlohmannOnMutations) {
  std::mt19937 rng(12345);
  const std::string alphabet = "{}[]:,\"\\ \t\n0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xed\xf0";
  int compared = 0;
  for (const std::string& seed : Corpus()) {
    if (seed.empty()) continue;
    for (int round = 0; round < 300; ++round) {
      std::string m = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = rng() % (m.size() + 1);
        switch (rng() % 3) {
          case 0:
            if (!m.empty() && pos < m.size()) m.erase(pos, 1);
            break;
          case 1:
            m.insert(pos, 1, alphabet[rng() % alphabet.size()]);
            break;
          default:
            if (pos < m.size()) m[pos] = alphabet[rng() % alphabet.size()];
        }
      }
      ExpectSameAsNlohmann(m);
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000);
}

TEST(JsonSaxParserTest, RefusesAByteOrderMarkUnlikeNlohmann) {
  EXPECT_FALSE(Ours("\xef\xbb\xbf{}").ok);
  EXPECT_TRUE(Theirs("\xef\xbb\xbf{}").ok);
}

TEST(JsonSaxParserTest, DecodesEscapesToUtf8) {
  const Outcome o = Ours(R"("\u00e9\ud83d\ude00")");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.events, "s:\xc3\xa9\xf0\x9f\x98\x80\x1f");
}

TEST(JsonSaxParserTest, RefusesExcessiveNesting) {
  EXPECT_TRUE(Ours(std::string(128, '[') + std::string(128, ']')).ok);
  EXPECT_FALSE(Ours(std::string(129, '[') + std::string(129, ']')).ok);
  EXPECT_FALSE(Ours(std::string(100000, '[')).ok);  // no stack overflow
}

TEST(JsonSaxParserTest, StopsWhenTheHandlerSaysSo) {
  class StopAtKey final : public nlohmann::json_sax<nlohmann::json> {
   public:
    int errors = 0;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t& k) override { return k != "stop"; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
      ++errors;
      return false;
    }
  } handler;
  EXPECT_FALSE(ParseJsonSax(R"({"a":1,"stop":2})", &handler));
  EXPECT_EQ(handler.errors, 0);  // not a syntax error
}

}  // namespace
}  // namespace jit::jwt
