// One compiled string matcher with Teleport's semantics (utils.MatchString):
//   "*"            matches any value;
//   "^...$"        an RE2 regular expression (linear time, no backtracking), evaluated as
//                  written, like Go's regexp.MatchString;
//   anything else  a glob where only '*' is special ("web-*", "*-prod"), anchored at both
//                  ends; without '*' it is an exact comparison.
// Compiled once; Matches() does not allocate. Immutable and thread-safe after Create.
#ifndef JIT_SERVICES_POLICY_VALUE_MATCHER_H_
#define JIT_SERVICES_POLICY_VALUE_MATCHER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace jit::policy {

// Longest expression accepted (bounds RE2 compilation cost).
inline constexpr size_t kMaxMatcherExpressionLength = 1024;

class ValueMatcher {
 public:
  enum class Kind { kAny, kExact, kGlob, kRegex };

  // INVALID_ARGUMENT for an empty expression, one longer than kMaxMatcherExpressionLength,
  // or a regular expression RE2 rejects (message carries RE2's reason).
  static absl::StatusOr<ValueMatcher> Create(absl::string_view expression);

  bool Matches(absl::string_view value) const;

  Kind kind() const { return kind_; }
  const std::string& expression() const { return expression_; }

 private:
  ValueMatcher() = default;

  bool MatchesGlob(absl::string_view value) const;

  Kind kind_ = Kind::kExact;
  std::string expression_;
  // kGlob: the literal pieces between '*'s ("a*b*c" -> {"a", "b", "c"}).
  std::vector<std::string> glob_parts_;
  // kRegex. Shared so that ValueMatcher stays copyable; RE2 is thread-safe for matching.
  std::shared_ptr<const RE2> regex_;
};

// True if `value` is a regular expression in Teleport's sense ("^...$").
bool IsRegexExpression(absl::string_view value);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_VALUE_MATCHER_H_
