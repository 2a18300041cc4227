#include "services/policy/value_matcher.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jit::policy {

bool IsRegexExpression(absl::string_view value) {
  return value.size() >= 2 && value.front() == '^' && value.back() == '$';
}

absl::StatusOr<ValueMatcher> ValueMatcher::Create(absl::string_view expression) {
  if (expression.empty()) {
    return absl::InvalidArgumentError("empty matcher expression");
  }
  if (expression.size() > kMaxMatcherExpressionLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("matcher expression longer than ", kMaxMatcherExpressionLength, " bytes"));
  }
  ValueMatcher matcher;
  matcher.expression_ = std::string(expression);
  if (expression == "*") {
    matcher.kind_ = Kind::kAny;
  } else if (IsRegexExpression(expression)) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    auto regex = std::make_shared<const RE2>(re2::StringPiece(expression.data(), expression.size()),
                                             options);
    if (!regex->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid regular expression \"", expression, "\": ", regex->error()));
    }
    matcher.kind_ = Kind::kRegex;
    matcher.regex_ = std::move(regex);
  } else if (absl::StrContains(expression, '*')) {
    matcher.kind_ = Kind::kGlob;
    for (absl::string_view part : absl::StrSplit(expression, '*')) {
      matcher.glob_parts_.emplace_back(part);
    }
  } else {
    matcher.kind_ = Kind::kExact;
  }
  return matcher;
}

bool ValueMatcher::Matches(absl::string_view value) const {
  switch (kind_) {
    case Kind::kAny:
      return true;
    case Kind::kExact:
      return value == expression_;
    case Kind::kGlob:
      return MatchesGlob(value);
    case Kind::kRegex:
      return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *regex_);
  }
  return false;
}

// glob_parts_ has at least two pieces (there is at least one '*'). The first must be a
// prefix, the last a suffix, and the middle ones must appear in order in between; taking
// the leftmost occurrence of each middle piece is optimal for '*'-only globs.
bool ValueMatcher::MatchesGlob(absl::string_view value) const {
  const std::string& first = glob_parts_.front();
  const std::string& last = glob_parts_.back();
  if (value.size() < first.size() + last.size()) return false;
  if (!absl::StartsWith(value, first) || !absl::EndsWith(value, last)) return false;
  absl::string_view middle = value.substr(first.size(), value.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < glob_parts_.size(); ++i) {
    const std::string& part = glob_parts_[i];
    if (part.empty()) continue;
    const size_t pos = middle.find(part);
    if (pos == absl::string_view::npos) return false;
    middle.remove_prefix(pos + part.size());
  }
  return true;
}

}  // namespace jit::policy
