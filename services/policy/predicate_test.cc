#include "services/policy/predicate.h"

#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class PredicateTest : public ::testing::Test {
 protected:
  PredicateTest() {
    reviewer_roles_.Add("dba");
    reviewer_roles_.Add("reviewer");
    request_roles_.Add("db-admin");
    reviewer_traits_["team"].add_values("storage");
    reviewer_traits_["team"].add_values("sre");
    request_traits_["team"].add_values("storage");
    input_.subject_name = "bob";
    input_.subject_roles = &reviewer_roles_;
    input_.subject_traits = &reviewer_traits_;
    input_.request_roles = &request_roles_;
    input_.request_reason = "INC-1234 disk full";
    input_.request_user = "alice";
    input_.request_traits = &request_traits_;
  }

  bool Eval(absl::string_view source, PredicateScope scope = PredicateScope::kReview) {
    absl::StatusOr<Predicate> p = Predicate::Compile(source, scope);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() && p->Evaluate(input_);
  }

  StringField reviewer_roles_;
  StringField request_roles_;
  Traits reviewer_traits_;
  Traits request_traits_;
  PredicateInput input_;
};

TEST_F(PredicateTest, ContainsOnRolesAndTraits) {
  EXPECT_TRUE(Eval("contains(reviewer.roles, \"dba\")"));
  EXPECT_FALSE(Eval("contains(reviewer.roles, \"admin\")"));
  EXPECT_TRUE(Eval("contains(reviewer.traits[\"team\"], \"sre\")"));
  EXPECT_FALSE(Eval("contains(reviewer.traits[\"missing\"], \"sre\")"));
  EXPECT_TRUE(Eval("contains(request.traits[\"team\"], \"storage\")"));
}

TEST_F(PredicateTest, EqualsOnStringsAndLists) {
  EXPECT_TRUE(Eval("equals(request.user, \"alice\")"));
  EXPECT_FALSE(Eval("equals(request.user, \"bob\")"));
  EXPECT_TRUE(Eval("equals(request.roles, [\"db-admin\"])"));
  EXPECT_FALSE(Eval("equals(request.roles, [\"db-admin\", \"x\"])"));
  EXPECT_FALSE(Eval("equals(request.reason, \"\")"));
  EXPECT_TRUE(Eval("equals(reviewer.traits[\"none\"], [])"));
}

TEST_F(PredicateTest, RegexpMatchSearchesStringsAndLists) {
  EXPECT_TRUE(Eval("regexp.match(request.reason, \"^INC-[0-9]+\")"));
  EXPECT_TRUE(Eval("regexp.match(request.reason, `disk`)"));
  EXPECT_FALSE(Eval("regexp.match(request.reason, \"^JIRA-\")"));
  EXPECT_TRUE(Eval("regexp.match(reviewer.roles, \"^d.a$\")"));
}

TEST_F(PredicateTest, BooleanOperatorsAndPrecedence) {
  EXPECT_TRUE(Eval("contains(reviewer.roles, \"dba\") && !equals(request.reason, \"\")"));
  EXPECT_TRUE(Eval("false || true && true"));
  EXPECT_FALSE(Eval("(false || true) && false"));
  EXPECT_TRUE(Eval("!false && !!true"));
  EXPECT_FALSE(Eval("!(contains(reviewer.roles, \"dba\") || false)"));
}

TEST_F(PredicateTest, RuleScopeReadsTheUser) {
  EXPECT_TRUE(
      Eval("equals(user.name, \"bob\") && contains(user.roles, \"dba\")", PredicateScope::kRule));
  EXPECT_TRUE(Eval("contains(user.traits[\"team\"], \"sre\")", PredicateScope::kRule));
}

TEST_F(PredicateTest, UnsetInputsReadAsEmpty) {
  PredicateInput empty;
  ASSERT_OK_AND_ASSIGN(Predicate p,
                       Predicate::Compile("equals(reviewer.roles, [])", PredicateScope::kReview));
  EXPECT_TRUE(p.Evaluate(empty));
}

TEST(PredicateCompileTest, ErrorNamesThePosition) {
  EXPECT_THAT(Predicate::Compile("contains(reviewer.roles \"dba\")", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predicate at position 25: expected ',', found a string")));
  EXPECT_THAT(Predicate::Compile("contains(reviewer.roles, \"dba\") &", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predicate at position 33: expected '&&'")));
}

TEST(PredicateCompileTest, RejectsUnknownVariableForScope) {
  EXPECT_THAT(Predicate::Compile("equals(request.owner, \"x\")", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predicate at position 8: unknown variable request.owner")));
  EXPECT_THAT(
      Predicate::Compile("contains(reviewer.roles, \"x\")", PredicateScope::kRule),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown variable reviewer.roles")));
}

TEST(PredicateCompileTest, RejectsTypeErrors) {
  EXPECT_THAT(Predicate::Compile("contains(request.reason, \"x\")", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a list first")));
  EXPECT_THAT(Predicate::Compile("equals(request.roles, \"x\")", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two strings or two lists")));
  EXPECT_THAT(
      Predicate::Compile("request.reason", PredicateScope::kReview),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a boolean expression")));
  EXPECT_THAT(Predicate::Compile("!\"x\"", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predicate at position 2: expected a boolean expression")));
}

TEST(PredicateCompileTest, RejectsUnknownFunctionAndBadRegex) {
  EXPECT_THAT(
      Predicate::Compile("regexp.replace(request.user, \"x\")", PredicateScope::kReview),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown function regexp.replace")));
  EXPECT_THAT(Predicate::Compile("startswith(request.user, \"x\")", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Predicate::Compile("regexp.match(request.user, \"(\")", PredicateScope::kReview),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid regular expression")));
  EXPECT_THAT(
      Predicate::Compile("regexp.match(request.user, request.reason)", PredicateScope::kReview),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("string literal pattern")));
}

TEST(PredicateCompileTest, RejectsSyntaxErrors) {
  EXPECT_THAT(Predicate::Compile("", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty expression")));
  EXPECT_THAT(Predicate::Compile("equals(request.user, \"x", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predicate at position 22: unterminated string")));
  EXPECT_THAT(Predicate::Compile("true true", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected 'true'")));
  EXPECT_THAT(Predicate::Compile("true # false", PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected character")));
}

TEST(PredicateCompileTest, EnforcesDepthLimit) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "!";
  deep += "true";
  EXPECT_THAT(Predicate::Compile(deep, PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper than")));
  std::string parens(100, '(');
  parens += "true" + std::string(100, ')');
  EXPECT_THAT(Predicate::Compile(parens, PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper than")));
}

TEST(PredicateCompileTest, EnforcesNodeAndLengthLimits) {
  std::string wide = "true";
  for (int i = 0; i < 300; ++i) wide += " || true";
  EXPECT_THAT(Predicate::Compile(wide, PredicateScope::kReview),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nodes")));
  EXPECT_THAT(
      Predicate::Compile(std::string(kMaxPredicateLength + 1, ' '), PredicateScope::kReview),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than")));
}

}  // namespace
}  // namespace jit::policy
