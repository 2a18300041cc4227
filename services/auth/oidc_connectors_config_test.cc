#include "services/auth/oidc_connectors_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string SecretDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp ? tmp : "/tmp";
  std::ofstream(dir + "/corp.secret") << "s3cret\n";
  ::chmod((dir + "/corp.secret").c_str(), 0600);
  return dir;
}

TEST(OidcConnectorsConfigTest, ReadsAConnectorWithItsSecretAndMappings) {
  ASSERT_OK_AND_ASSIGN(auto configs, ParseOidcConnectors(R"(
connectors:
  - name: corp
    issuer: https://login.example.com
    client_id: jit-access
    client_secret_file: corp.secret
    scopes: [openid, email, groups]
    redirect_url: https://jit.example.com/oidc/callback
    client_auth: client_secret_post
    login_ttl: 5m
    claims_to_roles:
      - {claim: groups, value: admins, roles: [admin]}
    claims_to_traits:
      - {claim: email, trait: logins, value: "^([^@]+)@.*$"}
)",
                                                         "oidc.yaml", SecretDir()));
  ASSERT_EQ(configs.size(), 1u);
  const auto& c = configs[0];
  EXPECT_EQ(c.name, "corp");
  EXPECT_EQ(c.issuer_url, "https://login.example.com");
  EXPECT_EQ(c.client_secret.Reveal(), "s3cret");
  EXPECT_THAT(c.scopes, ElementsAre("openid", "email", "groups"));
  EXPECT_EQ(c.client_auth, oidc::ClientAuthMethod::kClientSecretPost);
  EXPECT_EQ(c.login_ttl, absl::Minutes(5));
  ASSERT_EQ(c.claims_to_roles.size(), 1u);
  EXPECT_THAT(c.claims_to_roles[0].roles, ElementsAre("admin"));
  ASSERT_EQ(c.claims_to_traits.size(), 1u);
  EXPECT_EQ(c.claims_to_traits[0].trait, "logins");
  EXPECT_FALSE(c.allow_loopback_http);
}

TEST(OidcConnectorsConfigTest, ErrorsNameTheField) {
  const std::string dir = SecretDir();
  EXPECT_THAT(ParseOidcConnectors("connectors:\n  - name: corp\n", "oidc.yaml", dir),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("connectors[0].issuer")));
  EXPECT_THAT(ParseOidcConnectors(R"(
connectors:
  - {name: corp, issuer: https://x, client_id: c, client_secret_file: corp.secret,
     redirect_url: https://y/cb, client_auth: magic}
)",
                                  "oidc.yaml", dir),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client_auth")));
  EXPECT_THAT(ParseOidcConnectors(R"(
connectors:
  - {name: corp, issuer: https://x, client_id: c, client_secret_file: missing.secret,
     redirect_url: https://y/cb}
)",
                                  "oidc.yaml", dir),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("client_secret_file")));
  EXPECT_THAT(ParseOidcConnectors(R"(
connectors:
  - {name: corp, issuer: https://x, client_id: c, client_secret_file: corp.secret,
     redirect_url: https://y/cb, claims_to_roles: [{claim: groups, roles: [a]}]}
)",
                                  "oidc.yaml", dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("claims_to_roles[0].value: required")));
}

}  // namespace
}  // namespace jit::auth
