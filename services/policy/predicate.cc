#include "services/policy/predicate.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jit::policy {
namespace {

enum class Tok {
  kIdent,
  kString,
  kDot,
  kComma,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kAnd,
  kOr,
  kNot,
  kEnd,
};

struct Token {
  Tok kind;
  std::string text;  // identifier, or the unescaped string
  size_t pos;        // 0-based byte offset
};

absl::Status ErrorAt(size_t pos, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("predicate at position ", pos + 1, ": ", problem));
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view in) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < in.size() && absl::ascii_isspace(static_cast<unsigned char>(in[i]))) ++i;
    if (i >= in.size()) break;
    const size_t start = i;
    const char c = in[i];
    if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < in.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(in[i])) || in[i] == '_')) {
        ++i;
      }
      tokens.push_back({Tok::kIdent, std::string(in.substr(start, i - start)), start});
      continue;
    }
    if (c == '"' || c == '`') {
      const char quote = c;
      std::string text;
      ++i;
      bool closed = false;
      while (i < in.size()) {
        const char d = in[i++];
        if (d == quote) {
          closed = true;
          break;
        }
        if (d == '\\' && quote == '"') {
          if (i >= in.size()) break;
          const char e = in[i++];
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
              return ErrorAt(i - 2, absl::StrCat("unknown escape \\", std::string(1, e)));
          }
          continue;
        }
        text += d;
      }
      if (!closed) return ErrorAt(start, "unterminated string");
      tokens.push_back({Tok::kString, std::move(text), start});
      continue;
    }
    if (c == '&' || c == '|') {
      if (i + 1 >= in.size() || in[i + 1] != c) {
        return ErrorAt(start, absl::StrCat("expected '", std::string(2, c), "'"));
      }
      tokens.push_back({c == '&' ? Tok::kAnd : Tok::kOr, std::string(2, c), start});
      i += 2;
      continue;
    }
    Tok kind;
    switch (c) {
      case '.':
        kind = Tok::kDot;
        break;
      case ',':
        kind = Tok::kComma;
        break;
      case '(':
        kind = Tok::kLParen;
        break;
      case ')':
        kind = Tok::kRParen;
        break;
      case '[':
        kind = Tok::kLBracket;
        break;
      case ']':
        kind = Tok::kRBracket;
        break;
      case '!':
        kind = Tok::kNot;
        break;
      default:
        return ErrorAt(start, absl::StrCat("unexpected character '", std::string(1, c), "'"));
    }
    tokens.push_back({kind, std::string(1, c), start});
    ++i;
  }
  tokens.push_back({Tok::kEnd, "", in.size()});
  return tokens;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "the end";
    case Tok::kString:
      return "a string";
    default:
      return absl::StrCat("'", t.text, "'");
  }
}

}  // namespace

class PredicateParser {
 public:
  using Node = Predicate::Node;
  using Op = Predicate::Op;
  using Type = Predicate::Type;
  using Variable = Predicate::Variable;

  PredicateParser(std::vector<Token> tokens, PredicateScope scope, Predicate* out)
      : tokens_(std::move(tokens)), scope_(scope), out_(out) {}

  absl::StatusOr<int> ParseRoot() {
    absl::StatusOr<int> root = ParseOr(0);
    if (!root.ok()) return root;
    const Token& t = Peek();
    if (t.kind != Tok::kEnd) return ErrorAt(t.pos, absl::StrCat("unexpected ", Describe(t)));
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[index_]; }
  const Token& Next() {
    const Token& t = tokens_[index_];
    if (t.kind != Tok::kEnd) ++index_;
    return t;
  }
  absl::Status Expect(Tok kind, absl::string_view what) {
    const Token& t = Next();
    if (t.kind != kind) {
      return ErrorAt(t.pos, absl::StrCat("expected ", what, ", found ", Describe(t)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> Add(Node node, size_t pos) {
    if (static_cast<int>(out_->nodes_.size()) >= kMaxPredicateNodes) {
      return ErrorAt(pos, absl::StrCat("expression has more than ", kMaxPredicateNodes, " nodes"));
    }
    out_->nodes_.push_back(node);
    return static_cast<int>(out_->nodes_.size()) - 1;
  }

  absl::Status CheckDepth(int depth, size_t pos) {
    if (depth > kMaxPredicateDepth) {
      return ErrorAt(pos, absl::StrCat("expression nested deeper than ", kMaxPredicateDepth));
    }
    return absl::OkStatus();
  }

  absl::Status RequireBool(int node, size_t pos) {
    if (out_->nodes_[node].type != Type::kBool) {
      return ErrorAt(pos,
                     "expected a boolean expression (a call such as contains(...)), "
                     "found a value");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> ParseOr(int depth) {
    if (absl::Status s = CheckDepth(depth, Peek().pos); !s.ok()) return s;
    size_t pos = Peek().pos;
    absl::StatusOr<int> lhs = ParseAnd(depth + 1);
    if (!lhs.ok()) return lhs;
    if (absl::Status s = RequireBool(*lhs, pos); !s.ok()) return s;
    while (Peek().kind == Tok::kOr) {
      const size_t op_pos = Next().pos;
      pos = Peek().pos;
      absl::StatusOr<int> rhs = ParseAnd(depth + 1);
      if (!rhs.ok()) return rhs;
      if (absl::Status s = RequireBool(*rhs, pos); !s.ok()) return s;
      lhs = Add({Op::kOr, Type::kBool, *lhs, *rhs}, op_pos);
      if (!lhs.ok()) return lhs;
    }
    return lhs;
  }

  absl::StatusOr<int> ParseAnd(int depth) {
    if (absl::Status s = CheckDepth(depth, Peek().pos); !s.ok()) return s;
    size_t pos = Peek().pos;
    absl::StatusOr<int> lhs = ParseUnary(depth + 1);
    if (!lhs.ok()) return lhs;
    if (absl::Status s = RequireBool(*lhs, pos); !s.ok()) return s;
    while (Peek().kind == Tok::kAnd) {
      const size_t op_pos = Next().pos;
      pos = Peek().pos;
      absl::StatusOr<int> rhs = ParseUnary(depth + 1);
      if (!rhs.ok()) return rhs;
      if (absl::Status s = RequireBool(*rhs, pos); !s.ok()) return s;
      lhs = Add({Op::kAnd, Type::kBool, *lhs, *rhs}, op_pos);
      if (!lhs.ok()) return lhs;
    }
    return lhs;
  }

  absl::StatusOr<int> ParseUnary(int depth) {
    if (absl::Status s = CheckDepth(depth, Peek().pos); !s.ok()) return s;
    const Token& t = Peek();
    if (t.kind == Tok::kNot) {
      const size_t pos = Next().pos;
      const size_t operand_pos = Peek().pos;
      absl::StatusOr<int> operand = ParseUnary(depth + 1);
      if (!operand.ok()) return operand;
      if (absl::Status s = RequireBool(*operand, operand_pos); !s.ok()) return s;
      return Add({Op::kNot, Type::kBool, *operand}, pos);
    }
    if (t.kind == Tok::kLParen) {
      Next();
      absl::StatusOr<int> inner = ParseOr(depth + 1);
      if (!inner.ok()) return inner;
      if (absl::Status s = Expect(Tok::kRParen, "')'"); !s.ok()) return s;
      return inner;
    }
    if (t.kind == Tok::kIdent) {
      if (t.text == "true" || t.text == "false") {
        const Token& lit = Next();
        return Add({lit.text == "true" ? Op::kTrue : Op::kFalse, Type::kBool}, lit.pos);
      }
      if (t.text == "equals" || t.text == "contains" || t.text == "regexp") {
        return ParseCall(depth + 1);
      }
    }
    return ParseValue(depth + 1);
  }

  absl::StatusOr<int> ParseCall(int depth) {
    const Token name = Next();
    std::string function = name.text;
    if (function == "regexp") {
      if (absl::Status s = Expect(Tok::kDot, "'.match'"); !s.ok()) return s;
      const Token& member = Next();
      if (member.kind != Tok::kIdent || member.text != "match") {
        return ErrorAt(member.pos,
                       "unknown function regexp." + member.text + " (supported: regexp.match)");
      }
      function = "regexp.match";
    }
    if (absl::Status s = Expect(Tok::kLParen, "'(' after " + function); !s.ok()) return s;
    const size_t first_pos = Peek().pos;
    absl::StatusOr<int> first = ParseValue(depth + 1);
    if (!first.ok()) return first;
    if (absl::Status s = Expect(Tok::kComma, "','"); !s.ok()) return s;
    const Token& second_token = Peek();
    const size_t second_pos = second_token.pos;
    const Type first_type = out_->nodes_[*first].type;

    if (function == "regexp.match") {
      if (first_type == Type::kBool)
        return ErrorAt(first_pos, "regexp.match needs a string or list");
      const Token pattern = Next();
      if (pattern.kind != Tok::kString) {
        return ErrorAt(pattern.pos, "regexp.match needs a string literal pattern");
      }
      if (pattern.text.size() > 1024) return ErrorAt(pattern.pos, "pattern too long");
      RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(1 << 20);
      auto regex = std::make_shared<const RE2>(pattern.text, options);
      if (!regex->ok()) {
        return ErrorAt(pattern.pos, absl::StrCat("invalid regular expression: ", regex->error()));
      }
      if (absl::Status s = Expect(Tok::kRParen, "')'"); !s.ok()) return s;
      out_->regexes_.push_back(std::move(regex));
      Node node{Op::kRegexMatch, Type::kBool, *first};
      node.index = static_cast<int>(out_->regexes_.size()) - 1;
      return Add(node, name.pos);
    }

    absl::StatusOr<int> second = ParseValue(depth + 1);
    if (!second.ok()) return second;
    if (absl::Status s = Expect(Tok::kRParen, "')'"); !s.ok()) return s;
    const Type second_type = out_->nodes_[*second].type;
    if (function == "equals") {
      if (first_type != second_type) {
        return ErrorAt(second_pos, "equals needs two strings or two lists");
      }
      return Add({Op::kEquals, Type::kBool, *first, *second}, name.pos);
    }
    // contains
    if (first_type != Type::kList) return ErrorAt(first_pos, "contains needs a list first");
    if (second_type != Type::kString) return ErrorAt(second_pos, "contains needs a string second");
    return Add({Op::kContains, Type::kBool, *first, *second}, name.pos);
  }

  absl::StatusOr<int> ParseValue(int depth) {
    if (absl::Status s = CheckDepth(depth, Peek().pos); !s.ok()) return s;
    const Token t = Next();
    if (t.kind == Tok::kString) {
      out_->strings_.push_back(t.text);
      Node node{Op::kString, Type::kString};
      node.index = static_cast<int>(out_->strings_.size()) - 1;
      return Add(node, t.pos);
    }
    if (t.kind == Tok::kLBracket) {
      std::vector<std::string> items;
      if (Peek().kind != Tok::kRBracket) {
        while (true) {
          const Token item = Next();
          if (item.kind != Tok::kString) {
            return ErrorAt(item.pos,
                           absl::StrCat("expected a string in the list, found ", Describe(item)));
          }
          items.push_back(item.text);
          if (static_cast<int>(items.size()) > kMaxPredicateNodes) {
            return ErrorAt(item.pos, "list too long");
          }
          if (Peek().kind == Tok::kComma) {
            Next();
            continue;
          }
          break;
        }
      }
      if (absl::Status s = Expect(Tok::kRBracket, "',' or ']'"); !s.ok()) return s;
      out_->lists_.push_back(std::move(items));
      Node node{Op::kList, Type::kList};
      node.index = static_cast<int>(out_->lists_.size()) - 1;
      return Add(node, t.pos);
    }
    if (t.kind == Tok::kIdent) return ParseVariable(t);
    return ErrorAt(t.pos, absl::StrCat("expected a value or a call, found ", Describe(t)));
  }

  absl::StatusOr<int> ParseVariable(const Token& root) {
    if (absl::Status s = Expect(Tok::kDot, absl::StrCat("'.' after ", root.text)); !s.ok()) {
      if (root.text != "reviewer" && root.text != "request" && root.text != "user") {
        return ErrorAt(root.pos, absl::StrCat("unknown name '", root.text, "'"));
      }
      return s;
    }
    const Token field = Next();
    if (field.kind != Tok::kIdent) {
      return ErrorAt(field.pos, absl::StrCat("expected a field name, found ", Describe(field)));
    }
    const std::string name = absl::StrCat(root.text, ".", field.text);
    Node node{Op::kVariable, Type::kList};
    bool is_traits = false;
    bool known = true;
    if (scope_ == PredicateScope::kReview) {
      if (name == "reviewer.roles") {
        node.variable = Variable::kSubjectRoles;
      } else if (name == "reviewer.traits") {
        node.variable = Variable::kSubjectTraits;
        is_traits = true;
      } else if (name == "request.roles") {
        node.variable = Variable::kRequestRoles;
      } else if (name == "request.reason") {
        node.variable = Variable::kRequestReason;
        node.type = Type::kString;
      } else if (name == "request.user") {
        node.variable = Variable::kRequestUser;
        node.type = Type::kString;
      } else if (name == "request.traits") {
        node.variable = Variable::kRequestTraits;
        is_traits = true;
      } else {
        known = false;
      }
    } else {
      if (name == "user.name") {
        node.variable = Variable::kSubjectName;
        node.type = Type::kString;
      } else if (name == "user.roles") {
        node.variable = Variable::kSubjectRoles;
      } else if (name == "user.traits") {
        node.variable = Variable::kSubjectTraits;
        is_traits = true;
      } else if (scope_ == PredicateScope::kAutoReview && name == "request.roles") {
        node.variable = Variable::kRequestRoles;
      } else if (scope_ == PredicateScope::kAutoReview && name == "request.reason") {
        node.variable = Variable::kRequestReason;
        node.type = Type::kString;
      } else {
        known = false;
      }
    }
    if (!known) {
      return ErrorAt(root.pos,
                     absl::StrCat("unknown variable ", name,
                                  scope_ == PredicateScope::kReview
                                      ? " (supported: reviewer.roles, reviewer.traits[\"k\"], "
                                        "request.roles, request.reason, request.user, "
                                        "request.traits[\"k\"])"
                                  : scope_ == PredicateScope::kAutoReview
                                      ? " (supported: user.name, user.roles, "
                                        "user.traits[\"k\"], request.roles, request.reason)"
                                      : " (supported: user.name, user.roles, "
                                        "user.traits[\"k\"])"));
    }
    if (is_traits) {
      if (absl::Status s = Expect(Tok::kLBracket, absl::StrCat("'[' after ", name)); !s.ok()) {
        return s;
      }
      const Token key = Next();
      if (key.kind != Tok::kString) return ErrorAt(key.pos, "expected a quoted trait name");
      if (absl::Status s = Expect(Tok::kRBracket, "']'"); !s.ok()) return s;
      out_->strings_.push_back(key.text);
      node.index = static_cast<int>(out_->strings_.size()) - 1;
    }
    return Add(node, root.pos);
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
  PredicateScope scope_;
  Predicate* out_;
};

absl::StatusOr<Predicate> Predicate::Compile(absl::string_view source, PredicateScope scope) {
  if (source.size() > kMaxPredicateLength) {
    return absl::InvalidArgumentError(absl::StrCat("predicate at position ",
                                                   kMaxPredicateLength + 1, ": longer than ",
                                                   kMaxPredicateLength, " bytes"));
  }
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(source);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() == 1) return ErrorAt(0, "empty expression");
  Predicate predicate;
  PredicateParser parser(*std::move(tokens), scope, &predicate);
  absl::StatusOr<int> root = parser.ParseRoot();
  if (!root.ok()) return root.status();
  predicate.root_ = *root;
  predicate.source_ = std::string(source);
  return predicate;
}

int Predicate::Value::size() const {
  if (field != nullptr) return field->size();
  if (literal != nullptr) return static_cast<int>(literal->size());
  return 0;
}

absl::string_view Predicate::Value::at(int i) const {
  if (field != nullptr) return field->Get(i);
  return (*literal)[i];
}

namespace {

const StringField* TraitValues(const Traits* traits, const std::string& key) {
  if (traits == nullptr) return nullptr;
  auto it = traits->find(key);
  if (it == traits->end()) return nullptr;
  return &it->second.values();
}

}  // namespace

Predicate::Value Predicate::EvalValue(int index, const PredicateInput& input) const {
  const Node& node = nodes_[index];
  Value value;
  value.type = node.type;
  switch (node.op) {
    case Op::kString:
      value.str = strings_[node.index];
      break;
    case Op::kList:
      value.literal = &lists_[node.index];
      break;
    case Op::kVariable:
      switch (node.variable) {
        case Variable::kSubjectName:
          value.str = input.subject_name;
          break;
        case Variable::kSubjectRoles:
          value.field = input.subject_roles;
          break;
        case Variable::kSubjectTraits:
          value.field = TraitValues(input.subject_traits, strings_[node.index]);
          break;
        case Variable::kRequestRoles:
          value.field = input.request_roles;
          break;
        case Variable::kRequestReason:
          value.str = input.request_reason;
          break;
        case Variable::kRequestUser:
          value.str = input.request_user;
          break;
        case Variable::kRequestTraits:
          value.field = TraitValues(input.request_traits, strings_[node.index]);
          break;
      }
      break;
    default:
      break;  // Not a value; the compiler's type check rules this out.
  }
  return value;
}

bool Predicate::EvalBool(int index, const PredicateInput& input) const {
  const Node& node = nodes_[index];
  switch (node.op) {
    case Op::kTrue:
      return true;
    case Op::kFalse:
      return false;
    case Op::kAnd:
      return EvalBool(node.lhs, input) && EvalBool(node.rhs, input);
    case Op::kOr:
      return EvalBool(node.lhs, input) || EvalBool(node.rhs, input);
    case Op::kNot:
      return !EvalBool(node.lhs, input);
    case Op::kEquals: {
      const Value a = EvalValue(node.lhs, input);
      const Value b = EvalValue(node.rhs, input);
      if (a.type == Type::kString) return a.str == b.str;
      if (a.size() != b.size()) return false;
      for (int i = 0; i < a.size(); ++i) {
        if (a.at(i) != b.at(i)) return false;
      }
      return true;
    }
    case Op::kContains: {
      const Value list = EvalValue(node.lhs, input);
      const Value needle = EvalValue(node.rhs, input);
      for (int i = 0; i < list.size(); ++i) {
        if (list.at(i) == needle.str) return true;
      }
      return false;
    }
    case Op::kRegexMatch: {
      const Value subject = EvalValue(node.lhs, input);
      const RE2& regex = *regexes_[node.index];
      auto matches = [&regex](absl::string_view s) {
        return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), regex);
      };
      if (subject.type == Type::kString) return matches(subject.str);
      for (int i = 0; i < subject.size(); ++i) {
        if (matches(subject.at(i))) return true;
      }
      return false;
    }
    default:
      return false;  // Values are never evaluated as booleans (type-checked).
  }
}

bool Predicate::Evaluate(const PredicateInput& input) const { return EvalBool(root_, input); }

}  // namespace jit::policy
