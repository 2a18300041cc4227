#include "services/auth/oidc/discovery.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jit::auth::oidc {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

nlohmann::json Doc() {
  return {{"issuer", "https://idp.example.com"},
          {"authorization_endpoint", "https://idp.example.com/auth"},
          {"token_endpoint", "https://idp.example.com/token"},
          {"jwks_uri", "https://idp.example.com/keys"},
          {"response_types_supported", {"code", "id_token"}},
          {"id_token_signing_alg_values_supported", {"RS256"}},
          {"code_challenge_methods_supported", {"plain", "S256"}}};
}

TEST(DiscoveryTest, UrlDropsTrailingSlash) {
  EXPECT_EQ(DiscoveryUrl("https://idp.example.com/"),
            "https://idp.example.com/.well-known/openid-configuration");
  EXPECT_EQ(DiscoveryUrl("https://idp.example.com/realms/x"),
            "https://idp.example.com/realms/x/.well-known/openid-configuration");
}

TEST(DiscoveryTest, ParsesAValidDocument) {
  ASSERT_OK_AND_ASSIGN(ProviderMetadata m,
                       ParseProviderMetadata(Doc().dump(), "https://idp.example.com", false));
  EXPECT_EQ(m.token_endpoint, "https://idp.example.com/token");
  EXPECT_EQ(m.jwks_uri, "https://idp.example.com/keys");
}

TEST(DiscoveryTest, IssuerMustMatchExactly) {
  EXPECT_THAT(ParseProviderMetadata(Doc().dump(), "https://idp.example.com/", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("issuer")));
}

TEST(DiscoveryTest, EndpointsMustBeHttps) {
  auto doc = Doc();
  doc["token_endpoint"] = "http://idp.example.com/token";
  EXPECT_THAT(ParseProviderMetadata(doc.dump(), "https://idp.example.com", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("token_endpoint")));
}

TEST(DiscoveryTest, MissingMembersAndUnsupportedFeaturesAreRefused) {
  auto doc = Doc();
  doc.erase("jwks_uri");
  EXPECT_THAT(ParseProviderMetadata(doc.dump(), "https://idp.example.com", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("jwks_uri")));
  doc = Doc();
  doc["code_challenge_methods_supported"] = {"plain"};
  EXPECT_THAT(ParseProviderMetadata(doc.dump(), "https://idp.example.com", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("S256")));
  doc = Doc();
  doc["response_types_supported"] = {"id_token"};
  EXPECT_THAT(ParseProviderMetadata(doc.dump(), "https://idp.example.com", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("response_types")));
  EXPECT_THAT(ParseProviderMetadata("[]", "https://idp.example.com", false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace jit::auth::oidc
