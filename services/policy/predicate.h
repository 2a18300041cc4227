// The predicate language of thresholds[].filter, review_requests.where and rules[].where.
//
//   contains(reviewer.roles, "dba") && !equals(request.reason, "")
//   regexp.match(request.reason, "^INC-[0-9]+") || contains(reviewer.traits["team"], "sre")
//   equals(request.roles, ["db-admin"])
//
// Grammar (precedence: ! over && over ||; parentheses group):
//   expr    := and ('||' and)*
//   and     := unary ('&&' unary)*
//   unary   := '!' unary | '(' expr ')' | call | 'true' | 'false'
//   call    := 'equals' '(' value ',' value ')'          both strings or both lists
//            | 'contains' '(' value ',' value ')'        a list and a string
//            | 'regexp.match' '(' value ',' STRING ')'   a string or list (any element) and
//                                                        an RE2 pattern, unanchored search
//   value   := STRING | '[' (STRING (',' STRING)*)? ']' | variable
//   STRING  := "..." (escapes \" \\ \n \t) | `...` (raw)
// Variables by scope:
//   kReview (thresholds[].filter, review_requests.where):
//     reviewer.roles, reviewer.traits["k"], request.roles, request.reason, request.user,
//     request.traits["k"] (the requester's traits)                      -- lists/strings
//   kRule (rules[].where): user.name, user.roles, user.traits["k"]
//   kAutoReview (access_review_rule spec.where): user.name, user.roles, user.traits["k"],
//     request.roles, request.reason (the user is the requester)
// Types are checked when compiling, so evaluation cannot fail. A missing trait is an empty
// list. Source at most kMaxPredicateLength bytes, nesting at most kMaxPredicateDepth, at
// most kMaxPredicateNodes nodes.
//
// Compiled once; Evaluate() does not allocate. Immutable and thread-safe after Compile.
#ifndef JIT_SERVICES_POLICY_PREDICATE_H_
#define JIT_SERVICES_POLICY_PREDICATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "re2/re2.h"
#include "services/policy/trait_template.h"

namespace jit::policy {

inline constexpr size_t kMaxPredicateLength = 4096;
inline constexpr int kMaxPredicateDepth = 32;
inline constexpr int kMaxPredicateNodes = 256;

enum class PredicateScope { kReview, kRule, kAutoReview };

using StringField = google::protobuf::RepeatedPtrField<std::string>;

// What a predicate reads. Unset pointers read as empty lists. Borrowed, not owned.
struct PredicateInput {
  // kReview: the reviewer. kRule: the user.
  absl::string_view subject_name;
  const StringField* subject_roles = nullptr;
  const Traits* subject_traits = nullptr;
  // kReview (and request_roles, request_reason for kAutoReview).
  const StringField* request_roles = nullptr;
  absl::string_view request_reason;
  absl::string_view request_user;
  const Traits* request_traits = nullptr;
};

class Predicate {
 public:
  // INVALID_ARGUMENT "predicate at position <N>: <problem>" (N is 1-based, in bytes) for
  // syntax errors, unknown variables or functions, type errors, bad regular expressions
  // and exceeded limits.
  static absl::StatusOr<Predicate> Compile(absl::string_view source, PredicateScope scope);

  bool Evaluate(const PredicateInput& input) const;

  const std::string& source() const { return source_; }
  int node_count() const { return static_cast<int>(nodes_.size()); }

 private:
  friend class PredicateParser;

  enum class Op {
    kTrue,
    kFalse,
    kAnd,
    kOr,
    kNot,
    kEquals,
    kContains,
    kRegexMatch,
    kString,
    kList,
    kVariable,
  };
  enum class Type { kBool, kString, kList };
  enum class Variable {
    kSubjectName,
    kSubjectRoles,
    kSubjectTraits,
    kRequestRoles,
    kRequestReason,
    kRequestUser,
    kRequestTraits,
  };
  struct Node {
    Op op;
    Type type;
    int lhs = -1;
    int rhs = -1;
    // kString: strings_ index; kList: lists_ index; kRegexMatch: regexes_ index;
    // kVariable with a trait: strings_ index of the key.
    int index = -1;
    Variable variable = Variable::kSubjectName;
  };
  // A string or list value during evaluation, borrowed from the input or the literals.
  struct Value {
    Type type = Type::kString;
    absl::string_view str;
    const StringField* field = nullptr;
    const std::vector<std::string>* literal = nullptr;
    int size() const;
    absl::string_view at(int i) const;
  };

  Predicate() = default;

  bool EvalBool(int node, const PredicateInput& input) const;
  Value EvalValue(int node, const PredicateInput& input) const;

  std::string source_;
  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<std::string> strings_;
  std::vector<std::vector<std::string>> lists_;
  std::vector<std::shared_ptr<const RE2>> regexes_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_PREDICATE_H_
