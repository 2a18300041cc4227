#include "services/auth/oidc_connectors_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "services/auth/yaml_fields.h"

namespace jit::auth {
absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> ParseOidcConnectors(
    const std::string& text, const std::string& source, const std::string& base_dir) {
  ASSIGN_OR_RETURN(YAML::Node root, yaml::LoadString(text, source));
  const yaml::Reader r(source);
  std::vector<oidc::OidcConnectorConfig> configs;
  std::set<std::string> names;
  auto connector = [&](const YAML::Node& item, const std::string& p) -> absl::Status {
    oidc::OidcConnectorConfig c;
    std::string secret_file;
    std::string client_auth = "client_secret_basic";
    auto str = [&](std::string* out) {
      return [&r, out](const YAML::Node& n, const std::string& f) { return r.String(n, f, out); };
    };
    auto role_rule = [&](const YAML::Node& n, const std::string& f) -> absl::Status {
      oidc::ClaimRoleRule rule;
      RETURN_IF_ERROR(
          r.Map(n, f,
                {{"claim", str(&rule.claim)},
                 {"value", str(&rule.value)},
                 {"roles", [&](const YAML::Node& v,
                               const std::string& g) { return r.StringList(v, g, &rule.roles); }}},
                {"claim", "value", "roles"}));
      c.claims_to_roles.push_back(std::move(rule));
      return absl::OkStatus();
    };
    auto trait_rule = [&](const YAML::Node& n, const std::string& f) -> absl::Status {
      oidc::ClaimTraitRule rule;
      RETURN_IF_ERROR(r.Map(
          n, f,
          {{"claim", str(&rule.claim)}, {"trait", str(&rule.trait)}, {"value", str(&rule.value)}},
          {"claim", "trait"}));
      c.claims_to_traits.push_back(std::move(rule));
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(r.Map(
        item, p,
        {{"name", str(&c.name)},
         {"issuer", str(&c.issuer_url)},
         {"client_id", str(&c.client_id)},
         {"client_secret_file", str(&secret_file)},
         {"scopes",
          [&](const YAML::Node& n, const std::string& f) { return r.StringList(n, f, &c.scopes); }},
         {"redirect_url", str(&c.redirect_url)},
         {"username_claim", str(&c.username_claim)},
         {"client_auth", str(&client_auth)},
         {"login_ttl", [&](const YAML::Node& n,
                           const std::string& f) { return r.Duration(n, f, &c.login_ttl); }},
         {"mfa_amr_values",
          [&](const YAML::Node& n, const std::string& f) {
            return r.StringList(n, f, &c.mfa_amr_values);
          }},
         {"claims_to_roles",
          [&](const YAML::Node& n, const std::string& f) { return r.List(n, f, role_rule); }},
         {"claims_to_traits",
          [&](const YAML::Node& n, const std::string& f) { return r.List(n, f, trait_rule); }},
         {"insecure_allow_loopback_http",
          [&](const YAML::Node& n, const std::string& f) {
            return r.Bool(n, f, &c.allow_loopback_http);
          }}},
        {"name", "issuer", "client_id", "client_secret_file", "redirect_url"}));
    if (client_auth == "client_secret_basic") {
      c.client_auth = oidc::ClientAuthMethod::kClientSecretBasic;
    } else if (client_auth == "client_secret_post") {
      c.client_auth = oidc::ClientAuthMethod::kClientSecretPost;
    } else {
      return r.Error(item, p + ".client_auth", "must be client_secret_basic or client_secret_post");
    }
    if (!names.insert(c.name).second) {
      return r.Error(item, p + ".name", absl::StrCat("connector \"", c.name, "\" listed twice"));
    }
    absl::StatusOr<SecretString> secret = ReadSecretFile(yaml::ResolvePath(base_dir, secret_file));
    if (!secret.ok()) {
      return absl::Status(
          secret.status().code(),
          absl::StrCat(source, ": ", p, ".client_secret_file: ", secret.status().message()));
    }
    c.client_secret = *std::move(secret);
    configs.push_back(std::move(c));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      r.Map(root, "",
            {{"connectors",
              [&](const YAML::Node& n, const std::string& f) { return r.List(n, f, connector); }}},
            {"connectors"}));
  return configs;
}

absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> LoadOidcConnectors(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, yaml::ReadFile(path));
  return ParseOidcConnectors(text, path, yaml::DirectoryOf(path));
}

}  // namespace jit::auth
