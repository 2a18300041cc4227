#include "services/auth/user_validation.h"

#include "absl/strings/str_cat.h"
#include "common/jwt/session_token.h"
#include "common/jwt/testing/identity_of_size.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(UserValidationTest, UserNames) {
  EXPECT_OK(ValidateUserName("alice.smith@example.com", "name"));
  EXPECT_THAT(ValidateUserName("", "name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: required")));
  EXPECT_THAT(ValidateUserName("a b", "user.name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user.name")));
  EXPECT_THAT(ValidateUserName(std::string(65, 'a'), "name"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UserValidationTest, RolesAndTraits) {
  jit::auth::v1::User u;
  u.add_roles("dev");
  u.add_roles("db-admin.prod");
  (*u.mutable_traits())["logins"].add_values("root");
  (*u.mutable_traits())["kubernetes_groups"].add_values("system:masters");
  EXPECT_OK(ValidateRolesAndTraits(u, "user"));

  jit::auth::v1::User upper = u;
  upper.add_roles("Admin");
  EXPECT_THAT(ValidateRolesAndTraits(upper, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user.roles[2]")));
  jit::auth::v1::User spaced = u;
  (*spaced.mutable_traits())["bad key"].add_values("x");
  EXPECT_THAT(ValidateRolesAndTraits(spaced, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trait names")));
  jit::auth::v1::User control = u;
  (*control.mutable_traits())["logins"].add_values("a\nb");
  EXPECT_THAT(ValidateRolesAndTraits(control, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("logins")));
  jit::auth::v1::User big;
  for (int k = 0; k < 30; ++k) {
    auto& list = (*big.mutable_traits())[absl::StrCat("t", k)];
    for (int v = 0; v < 10; ++v) list.add_values(std::string(100, 'x'));
  }
  EXPECT_THAT(ValidateRolesAndTraits(big, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("8 KiB")));
}

jit::auth::v1::User UserOf(const jit::common::v1::Identity& id) {
  jit::auth::v1::User u;
  u.set_name(id.name());
  *u.mutable_roles() = id.roles();
  *u.mutable_traits() = id.traits();
  return u;
}

// The limit is what the token carries: exactly 8 KiB is accepted, one byte more is refused
// with a message naming the limit.
TEST(UserValidationTest, IdentitySizeBoundaryIsTheTokenEncoding) {
  EXPECT_OK(ValidateRolesAndTraits(
      UserOf(jwt::testing::IdentityOfClaimBytes(jwt::kMaxIdentityClaimBytes)), "user"));
  EXPECT_THAT(
      ValidateRolesAndTraits(
          UserOf(jwt::testing::IdentityOfClaimBytes(jwt::kMaxIdentityClaimBytes + 1)), "user"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("8193 bytes in a session token, over the limit of 8192")));
}

// Quotes and backslashes take two bytes each in a token: 8 KiB of them is refused although
// the raw bytes were under the old estimate.
TEST(UserValidationTest, EscapedCharactersCountTwice) {
  jit::auth::v1::User u;
  u.set_name("alice");
  for (int k = 0; k < 4; ++k) {
    auto& list = (*u.mutable_traits())[absl::StrCat("t", k)];
    for (int v = 0; v < 7; ++v) list.add_values(std::string(250, '"'));
  }
  EXPECT_THAT(ValidateRolesAndTraits(u, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit")));
}

TEST(UserValidationTest, TraitsMustBeUtf8) {
  jit::auth::v1::User u;
  (*u.mutable_traits())["logins"].add_values("\xff\xfe");
  EXPECT_THAT(ValidateRolesAndTraits(u, "user"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

TEST(UserValidationTest, NewPasswords) {
  EXPECT_OK(ValidateNewPassword(SecretString(std::string(12, 'p')), "password"));
  EXPECT_THAT(ValidateNewPassword(SecretString(std::string(11, 'p')), "new_password"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("new_password")));
  EXPECT_THAT(ValidateNewPassword(SecretString(std::string(1025, 'p')), "password"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
