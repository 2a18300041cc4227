#include "services/policy/trait_template.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/policy/value_matcher.h"

namespace jit::policy {
namespace {

constexpr absl::string_view kOpen = "{{";
constexpr absl::string_view kClose = "}}";

bool IsKnownInternalTrait(absl::string_view name) {
  return name == "logins" || name == "db_users" || name == "db_names" ||
         name == "kubernetes_groups" || name == "kubernetes_users";
}

// A value produced from traits is safe to compare literally.
bool IsSafeInterpolatedValue(absl::string_view value) {
  if (value.empty() || value.size() > kMaxInterpolatedValueLength) return false;
  for (char c : value) {
    if (c == '*' || absl::ascii_iscntrl(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Converts a Go replacement ("$1", "${1}", "$$") into RE2's ("\1", "$"), escaping
// backslashes. Named groups are not supported.
absl::StatusOr<std::string> GoReplacementToRe2(absl::string_view go) {
  std::string out;
  for (size_t i = 0; i < go.size(); ++i) {
    const char c = go[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 < go.size() && go[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const bool braced = i + 1 < go.size() && go[i + 1] == '{';
    size_t j = i + (braced ? 2 : 1);
    const size_t digits_start = j;
    while (j < go.size() && absl::ascii_isdigit(go[j])) ++j;
    if (j == digits_start) {
      return absl::InvalidArgumentError(
          absl::StrCat("replacement \"", go, "\": only numbered groups ($1, ${1}) are supported"));
    }
    if (braced) {
      if (j >= go.size() || go[j] != '}') {
        return absl::InvalidArgumentError(
            absl::StrCat("replacement \"", go, "\": unterminated ${"));
      }
    } else if (j < go.size() && (absl::ascii_isalpha(go[j]) || go[j] == '_')) {
      return absl::InvalidArgumentError(
          absl::StrCat("replacement \"", go, "\": ambiguous group reference, write ${N}"));
    }
    const absl::string_view digits = go.substr(digits_start, j - digits_start);
    if (digits.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("replacement \"", go, "\": at most 9 groups ($1..$9) are supported"));
    }
    absl::StrAppend(&out, "\\", digits);
    i = braced ? j : j - 1;
  }
  return out;
}

// Teleport's pattern rule for regexp.replace: "^...$" is a regular expression, anything
// else a glob ('*' wildcards) matched in full.
std::string PatternToRegex(absl::string_view pattern) {
  if (IsRegexExpression(pattern)) return std::string(pattern);
  std::string out = "^";
  for (char c : pattern) {
    if (c == '*') {
      out += "(.*)";
    } else {
      out += RE2::QuoteMeta(re2::StringPiece(&c, 1));
    }
  }
  out += "$";
  return out;
}

// Tokens of the expression inside the braces.
struct Token {
  enum class Kind { kIdent, kString, kDot, kComma, kLParen, kRParen, kLBracket, kRBracket, kEnd };
  Kind kind;
  std::string text;  // identifier or unescaped string
  size_t pos;
};

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}

  absl::StatusOr<std::vector<Token>> Tokenize() {
    std::vector<Token> tokens;
    size_t i = 0;
    while (true) {
      while (i < input_.size() && absl::ascii_isspace(static_cast<unsigned char>(input_[i]))) ++i;
      if (i >= input_.size()) break;
      const char c = input_[i];
      const size_t start = i;
      if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i < input_.size() &&
               (absl::ascii_isalnum(static_cast<unsigned char>(input_[i])) || input_[i] == '_')) {
          ++i;
        }
        tokens.push_back(
            {Token::Kind::kIdent, std::string(input_.substr(start, i - start)), start});
        continue;
      }
      if (c == '"') {
        std::string text;
        ++i;
        bool closed = false;
        while (i < input_.size()) {
          const char d = input_[i++];
          if (d == '"') {
            closed = true;
            break;
          }
          if (d == '\\') {
            if (i >= input_.size()) break;
            const char e = input_[i++];
            switch (e) {
              case '"':
                text += '"';
                break;
              case '\\':
                text += '\\';
                break;
              case 'n':
                text += '\n';
                break;
              case 't':
                text += '\t';
                break;
              default:
                return absl::InvalidArgumentError(
                    absl::StrCat("unknown escape \\", std::string(1, e), " at offset ", i - 2));
            }
            continue;
          }
          text += d;
        }
        if (!closed) {
          return absl::InvalidArgumentError(absl::StrCat("unterminated string at offset ", start));
        }
        tokens.push_back({Token::Kind::kString, std::move(text), start});
        continue;
      }
      Token::Kind kind;
      switch (c) {
        case '.':
          kind = Token::Kind::kDot;
          break;
        case ',':
          kind = Token::Kind::kComma;
          break;
        case '(':
          kind = Token::Kind::kLParen;
          break;
        case ')':
          kind = Token::Kind::kRParen;
          break;
        case '[':
          kind = Token::Kind::kLBracket;
          break;
        case ']':
          kind = Token::Kind::kRBracket;
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("unexpected character '", std::string(1, c), "' at offset ", start));
      }
      tokens.push_back({kind, std::string(1, c), start});
      ++i;
    }
    tokens.push_back({Token::Kind::kEnd, "", input_.size()});
    return tokens;
  }

 private:
  absl::string_view input_;
};

}  // namespace

bool ContainsTemplate(absl::string_view value) {
  return absl::StrContains(value, kOpen) || absl::StrContains(value, kClose);
}

// Recursive-descent over the tokens:
//   expr := IDENT '.' IDENT                        (namespace.variable)
//         | IDENT '[' STRING ']'                   (namespace["variable"])
//         | IDENT '.' IDENT '(' expr args ')'      (email.local / regexp.replace)
class TemplateParser {
 public:
  explicit TemplateParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // Fills `trait_key` and appends transforms innermost-first.
  absl::Status ParseExpression(std::string* trait_key,
                               std::vector<std::pair<std::string, std::vector<std::string>>>* calls,
                               int depth) {
    if (depth > 8) return absl::InvalidArgumentError("template nested too deeply");
    const Token& first = Next();
    if (first.kind != Token::Kind::kIdent) {
      return Unexpected(first, "a namespace (internal, external) or function");
    }
    if (Peek().kind == Token::Kind::kLBracket) {
      Next();
      const Token& key = Next();
      if (key.kind != Token::Kind::kString) return Unexpected(key, "a quoted trait name");
      const Token& close = Next();
      if (close.kind != Token::Kind::kRBracket) return Unexpected(close, "']'");
      return SetVariable(first.text, key.text, trait_key);
    }
    const Token& dot = Next();
    if (dot.kind != Token::Kind::kDot) return Unexpected(dot, "'.' or '['");
    const Token& second = Next();
    if (second.kind != Token::Kind::kIdent) return Unexpected(second, "a name after '.'");
    if (Peek().kind != Token::Kind::kLParen) {
      return SetVariable(first.text, second.text, trait_key);
    }
    Next();  // '('
    const std::string function = absl::StrCat(first.text, ".", second.text);
    if (function != "email.local" && function != "regexp.replace") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown function ", function, " (supported: email.local, regexp.replace)"));
    }
    if (absl::Status s = ParseExpression(trait_key, calls, depth + 1); !s.ok()) return s;
    std::vector<std::string> args;
    while (Peek().kind == Token::Kind::kComma) {
      Next();
      const Token& arg = Next();
      if (arg.kind != Token::Kind::kString) return Unexpected(arg, "a quoted string argument");
      args.push_back(arg.text);
    }
    const Token& close = Next();
    if (close.kind != Token::Kind::kRParen) return Unexpected(close, "')'");
    const size_t want = function == "email.local" ? 0 : 2;
    if (args.size() != want) {
      return absl::InvalidArgumentError(absl::StrCat(function, " takes ", want + 1, " argument",
                                                     want == 0 ? "" : "s", ", got ",
                                                     args.size() + 1));
    }
    calls->emplace_back(function, std::move(args));
    return absl::OkStatus();
  }

  absl::Status ExpectEnd() {
    const Token& t = Next();
    if (t.kind != Token::Kind::kEnd) return Unexpected(t, "the end of the template");
    return absl::OkStatus();
  }

 private:
  const Token& Peek() const { return tokens_[index_]; }
  const Token& Next() {
    const Token& t = tokens_[index_];
    if (t.kind != Token::Kind::kEnd) ++index_;
    return t;
  }

  static absl::Status Unexpected(const Token& t, absl::string_view wanted) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", wanted, " at offset ", t.pos, ", found ",
                     t.kind == Token::Kind::kEnd ? "the end" : absl::StrCat("'", t.text, "'")));
  }

  static absl::Status SetVariable(absl::string_view ns, absl::string_view name,
                                  std::string* trait_key) {
    if (name.empty()) return absl::InvalidArgumentError("empty trait name");
    if (ns == "internal") {
      if (!IsKnownInternalTrait(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown internal trait \"", name,
            "\" (supported: logins, db_users, db_names, kubernetes_groups, kubernetes_users)"));
      }
    } else if (ns != "external") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown namespace \"", ns, "\" (supported: internal, external)"));
    }
    *trait_key = std::string(name);
    return absl::OkStatus();
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
};

absl::StatusOr<TraitTemplate> TraitTemplate::Parse(absl::string_view value) {
  const size_t open = value.find(kOpen);
  const size_t close = value.rfind(kClose);
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return absl::InvalidArgumentError(absl::StrCat("template \"", value, "\": unbalanced {{ }}"));
  }
  if (value.find(kOpen, open + kOpen.size()) != absl::string_view::npos ||
      value.find(kClose) != close) {
    return absl::InvalidArgumentError(
        absl::StrCat("template \"", value, "\": only one {{...}} per value is supported"));
  }
  const absl::string_view inner = value.substr(open + kOpen.size(), close - open - kOpen.size());
  auto tokens = Lexer(inner).Tokenize();
  if (!tokens.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("template \"", value, "\": ", tokens.status().message()));
  }
  TemplateParser parser(*std::move(tokens));
  TraitTemplate result;
  std::vector<std::pair<std::string, std::vector<std::string>>> calls;
  absl::Status status = parser.ParseExpression(&result.trait_key_, &calls, 0);
  if (status.ok()) status = parser.ExpectEnd();
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("template \"", value, "\": ", status.message()));
  }
  for (auto& [function, args] : calls) {
    Transform transform;
    if (function == "email.local") {
      transform.kind = Transform::Kind::kEmailLocal;
    } else {
      transform.kind = Transform::Kind::kRegexpReplace;
      if (args[0].size() > kMaxMatcherExpressionLength) {
        return absl::InvalidArgumentError(
            absl::StrCat("template \"", value, "\": regexp.replace pattern too long"));
      }
      RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(1 << 20);
      auto regex = std::make_shared<const RE2>(PatternToRegex(args[0]), options);
      if (!regex->ok()) {
        return absl::InvalidArgumentError(absl::StrCat("template \"", value,
                                                       "\": invalid regular expression \"", args[0],
                                                       "\": ", regex->error()));
      }
      auto rewrite = GoReplacementToRe2(args[1]);
      if (!rewrite.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("template \"", value, "\": ", rewrite.status().message()));
      }
      std::string rewrite_error;
      if (!regex->CheckRewriteString(*rewrite, &rewrite_error)) {
        return absl::InvalidArgumentError(absl::StrCat("template \"", value, "\": replacement \"",
                                                       args[1], "\": ", rewrite_error));
      }
      transform.regex = std::move(regex);
      transform.rewrite = *std::move(rewrite);
    }
    result.transforms_.push_back(std::move(transform));
  }
  result.source_ = std::string(value);
  result.prefix_ = std::string(value.substr(0, open));
  result.suffix_ = std::string(value.substr(close + kClose.size()));
  return result;
}

bool TraitTemplate::ApplyTransforms(absl::string_view in, std::string* buffer,
                                    absl::string_view* out) const {
  absl::string_view current = in;
  for (const Transform& t : transforms_) {
    switch (t.kind) {
      case Transform::Kind::kEmailLocal: {
        const size_t at = current.find('@');
        if (at == 0 || at == absl::string_view::npos || at + 1 >= current.size()) return false;
        current = current.substr(0, at);
        break;
      }
      case Transform::Kind::kRegexpReplace: {
        std::string replaced(current);
        if (RE2::GlobalReplace(&replaced, *t.regex, t.rewrite) == 0) return false;
        *buffer = std::move(replaced);
        current = *buffer;
        break;
      }
    }
  }
  if (!IsSafeInterpolatedValue(current)) return false;
  *out = current;
  return true;
}

template <typename Fn>
bool TraitTemplate::AnyValue(const Traits& traits, Fn&& fn) const {
  auto it = traits.find(trait_key_);
  if (it == traits.end()) return false;
  std::string buffer;
  for (const std::string& raw : it->second.values()) {
    absl::string_view value;
    if (!ApplyTransforms(raw, &buffer, &value)) continue;
    if (fn(value)) return true;
  }
  return false;
}

bool TraitTemplate::Yields(const Traits& traits, absl::string_view candidate) const {
  if (candidate.size() < prefix_.size() + suffix_.size() || !absl::StartsWith(candidate, prefix_) ||
      !absl::EndsWith(candidate, suffix_)) {
    return false;
  }
  const absl::string_view middle =
      candidate.substr(prefix_.size(), candidate.size() - prefix_.size() - suffix_.size());
  return AnyValue(traits, [middle](absl::string_view value) { return value == middle; });
}

bool TraitTemplate::YieldsAny(const Traits& traits) const {
  return AnyValue(traits, [](absl::string_view) { return true; });
}

void TraitTemplate::Expand(const Traits& traits, std::vector<std::string>* out) const {
  AnyValue(traits, [&](absl::string_view value) {
    out->push_back(absl::StrCat(prefix_, value, suffix_));
    return false;
  });
}

}  // namespace jit::policy
