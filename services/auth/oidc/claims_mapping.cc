#include "services/auth/oidc/claims_mapping.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace jit::auth::oidc {
namespace {

bool IsRegex(const std::string& v) { return v.size() >= 2 && v.front() == '^' && v.back() == '$'; }

std::string GlobToRegex(const std::string& glob) {
  std::string out = "^";
  for (char c : glob) {
    if (c == '*') {
      out += ".*";
    } else {
      out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out + "$";
}

absl::StatusOr<std::unique_ptr<RE2>> Compile(const std::string& value, const std::string& where) {
  const std::string pattern = value.empty()    ? "^(?s:.*)$"
                              : IsRegex(value) ? value
                                               : GlobToRegex(value);
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".value: invalid pattern: ", re->error()));
  }
  return re;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

struct ClaimsMapper::CompiledRoleRule {
  std::string claim;
  std::unique_ptr<RE2> re;
  std::vector<std::string> roles;  // rewrite templates ("\\1" form)
};

struct ClaimsMapper::CompiledTraitRule {
  std::string claim;
  std::string trait;
  std::unique_ptr<RE2> re;
};

ClaimsMapper::ClaimsMapper() = default;
ClaimsMapper::ClaimsMapper(ClaimsMapper&&) noexcept = default;
ClaimsMapper& ClaimsMapper::operator=(ClaimsMapper&&) noexcept = default;
ClaimsMapper::~ClaimsMapper() = default;

std::vector<std::string> ClaimValues(const nlohmann::json& claims, const std::string& claim) {
  std::vector<std::string> out;
  const auto it = claims.find(claim);
  if (it == claims.end()) return out;
  auto add = [&](const nlohmann::json& v) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_boolean()) {
      out.push_back(v.get<bool>() ? "true" : "false");
    } else if (v.is_number_integer()) {
      out.push_back(v.dump());
    }
  };
  if (it->is_array()) {
    for (const auto& v : *it) add(v);
  } else {
    add(*it);
  }
  return out;
}

absl::StatusOr<ClaimsMapper> ClaimsMapper::Create(std::vector<ClaimRoleRule> role_rules,
                                                  std::vector<ClaimTraitRule> trait_rules) {
  ClaimsMapper mapper;
  for (size_t i = 0; i < role_rules.size(); ++i) {
    ClaimRoleRule& r = role_rules[i];
    const std::string where = absl::StrCat("claims_to_roles[", i, "]");
    if (r.claim.empty()) return absl::InvalidArgumentError(where + ".claim is empty");
    if (r.value.empty()) return absl::InvalidArgumentError(where + ".value is empty");
    if (r.roles.empty()) return absl::InvalidArgumentError(where + ".roles is empty");
    absl::StatusOr<std::unique_ptr<RE2>> re = Compile(r.value, where);
    if (!re.ok()) return re.status();
    CompiledRoleRule compiled{r.claim, *std::move(re), {}};
    for (const std::string& role : r.roles) {
      if (!ValidName(role)) return absl::InvalidArgumentError(where + ".roles: invalid role name");
      // "$1" -> "\1" (RE2 rewrite syntax); a literal backslash is escaped.
      std::string rewrite;
      for (size_t k = 0; k < role.size(); ++k) {
        if (role[k] == '\\') {
          rewrite += "\\\\";
        } else if (role[k] == '$' && k + 1 < role.size() && role[k + 1] >= '0' &&
                   role[k + 1] <= '9') {
          if (!IsRegex(r.value)) {
            return absl::InvalidArgumentError(where + ".roles: $n needs a ^...$ regex value");
          }
          rewrite += '\\';
          rewrite += role[++k];
        } else {
          rewrite += role[k];
        }
      }
      std::string error;
      if (!compiled.re->CheckRewriteString(rewrite, &error)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".roles: ", error));
      }
      compiled.roles.push_back(std::move(rewrite));
    }
    mapper.roles_.push_back(std::move(compiled));
  }
  for (size_t i = 0; i < trait_rules.size(); ++i) {
    ClaimTraitRule& t = trait_rules[i];
    const std::string where = absl::StrCat("claims_to_traits[", i, "]");
    if (t.claim.empty()) return absl::InvalidArgumentError(where + ".claim is empty");
    if (!ValidName(t.trait)) return absl::InvalidArgumentError(where + ".trait is invalid");
    absl::StatusOr<std::unique_ptr<RE2>> re = Compile(t.value, where);
    if (!re.ok()) return re.status();
    mapper.traits_.push_back(CompiledTraitRule{t.claim, t.trait, *std::move(re)});
  }
  return mapper;
}

MappedClaims ClaimsMapper::Map(const nlohmann::json& claims) const {
  MappedClaims out;
  std::set<std::string> roles;
  for (const CompiledRoleRule& rule : roles_) {
    for (const std::string& value : ClaimValues(claims, rule.claim)) {
      if (!RE2::FullMatch(value, *rule.re)) continue;
      for (const std::string& rewrite : rule.roles) {
        std::string role;
        if (RE2::Extract(value, *rule.re, rewrite, &role) && ValidName(role)) roles.insert(role);
      }
    }
  }
  out.roles.assign(roles.begin(), roles.end());
  for (const CompiledTraitRule& rule : traits_) {
    std::vector<std::string>& values = out.traits[rule.trait];
    for (const std::string& value : ClaimValues(claims, rule.claim)) {
      std::string extracted;
      if (rule.re->NumberOfCapturingGroups() > 0) {
        if (!RE2::FullMatch(value, *rule.re, &extracted)) continue;
      } else {
        if (!RE2::FullMatch(value, *rule.re)) continue;
        extracted = value;
      }
      if (extracted.empty()) continue;
      if (std::find(values.begin(), values.end(), extracted) == values.end()) {
        values.push_back(std::move(extracted));
      }
    }
    if (values.empty()) out.traits.erase(rule.trait);
  }
  return out;
}

}  // namespace jit::auth::oidc
