// Maps ID token claims to jit-access roles and traits, per connector configuration:
//
//   claims_to_roles:  [{claim: groups, value: "admins", roles: [admin]},
//                      {claim: groups, value: "team-*", roles: [dev]},
//                      {claim: email,  value: "^(.*)@ops\\.example\\.com$", roles: [ops-$1]}]
//   claims_to_traits: [{claim: email, trait: logins, value: "^([^@]+)@.*$"},
//                      {claim: groups, trait: kubernetes_groups}]
//
// A rule's value is a glob (only '*' is special) or, when written ^...$, an RE2 regular
// expression matched against the whole claim value; regex captures can be used in role names
// ($1..$9) and, for traits, the first capture (or the whole value) becomes the trait value.
// A claim is read as a string, a list of strings, a boolean ("true"/"false") or an integer;
// other shapes never match. Results are de-duplicated; roles are sorted.
#ifndef JIT_SERVICES_AUTH_OIDC_CLAIMS_MAPPING_H_
#define JIT_SERVICES_AUTH_OIDC_CLAIMS_MAPPING_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace re2 {
class RE2;
}

namespace jit::auth::oidc {

struct ClaimRoleRule {
  std::string claim;
  std::string value;
  std::vector<std::string> roles;
};

struct ClaimTraitRule {
  std::string claim;
  std::string trait;
  std::string value;  // optional filter/extractor, same syntax as for roles; "" = every value
};

struct MappedClaims {
  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> traits;
};

// Immutable after Create; thread-safe.
class ClaimsMapper {
 public:
  // INVALID_ARGUMENT naming the rule (claims_to_roles[i] / claims_to_traits[i]) for an empty
  // claim, a rule without roles, an invalid regex, a $n beyond the regex's groups, or a bad
  // trait name.
  static absl::StatusOr<ClaimsMapper> Create(std::vector<ClaimRoleRule> role_rules,
                                             std::vector<ClaimTraitRule> trait_rules);

  MappedClaims Map(const nlohmann::json& claims) const;

  ClaimsMapper(ClaimsMapper&&) noexcept;
  ClaimsMapper& operator=(ClaimsMapper&&) noexcept;
  ~ClaimsMapper();

 private:
  struct CompiledRoleRule;
  struct CompiledTraitRule;
  ClaimsMapper();

  std::vector<CompiledRoleRule> roles_;
  std::vector<CompiledTraitRule> traits_;
};

// The values of `claim` as strings (see above).
std::vector<std::string> ClaimValues(const nlohmann::json& claims, const std::string& claim);

}  // namespace jit::auth::oidc

#endif  // JIT_SERVICES_AUTH_OIDC_CLAIMS_MAPPING_H_
