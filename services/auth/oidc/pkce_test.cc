#include "services/auth/oidc/pkce.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth::oidc {
namespace {

TEST(PkceTest, Rfc7636AppendixBVector) {
  EXPECT_EQ(PkceS256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, VerifierIs43UnreservedCharactersAndFresh) {
  ASSERT_OK_AND_ASSIGN(SecretString a, CreatePkceVerifier());
  ASSERT_OK_AND_ASSIGN(SecretString b, CreatePkceVerifier());
  EXPECT_THAT(std::string(a.Reveal()), ::testing::MatchesRegex("[A-Za-z0-9_-]{43}"));
  EXPECT_NE(a.Reveal(), b.Reveal());
}

}  // namespace
}  // namespace jit::auth::oidc
