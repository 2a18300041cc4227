#include "services/auth/user_validation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/auth/spiffe.h"
#include "common/jwt/session_token.h"
#include "common/status_macros.h"
#include "common/text/text_fields.h"

namespace jit::auth {
namespace {

constexpr size_t kMaxRoles = 64;
constexpr size_t kMaxTraitKeys = 32;
constexpr size_t kMaxTraitValues = 64;
constexpr size_t kMaxTraitValueBytes = 256;
constexpr size_t kMaxTraitKeyBytes = 128;

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", AsAbsl(why)));
}

bool IsRoleName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
          c == '@')) {
      return false;
    }
  }
  return true;
}

bool IsTraitKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxTraitKeyBytes) return false;
  for (unsigned char c : key) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsTraitValue(const std::string& value) {
  if (value.empty() || value.size() > kMaxTraitValueBytes) return false;
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateUserName(std::string_view name, std::string_view field) {
  if (name.empty()) return Bad(field, "required");
  if (!IsValidUserName(name)) {
    return Bad(field, "must be 1-64 of letters, digits, '.', '_', '-', '@'");
  }
  return absl::OkStatus();
}

absl::Status ValidateRolesAndTraits(const jit::auth::v1::User& user, std::string_view field) {
  const std::string f(field);
  if (static_cast<size_t>(user.roles_size()) > kMaxRoles) {
    return Bad(f + ".roles", absl::StrCat("at most ", kMaxRoles, " roles"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < user.roles_size(); ++i) {
    const std::string& role = user.roles(i);
    const std::string where = absl::StrCat(f, ".roles[", i, "]");
    if (!IsRoleName(role)) {
      return Bad(where, "invalid role name (1-253 of a-z, 0-9, '-', '_', '.', '@')");
    }
    if (!seen.insert(role).second) return Bad(where, absl::StrCat("duplicate role \"", role, "\""));
  }
  if (static_cast<size_t>(user.traits_size()) > kMaxTraitKeys) {
    return Bad(f + ".traits", absl::StrCat("at most ", kMaxTraitKeys, " traits"));
  }
  for (const auto& [key, list] : user.traits()) {
    const std::string where = absl::StrCat(f, ".traits[\"", key.substr(0, 64), "\"]");
    if (!IsTraitKey(key)) {
      return Bad(f + ".traits", "trait names are 1-128 bytes without spaces or control characters");
    }
    RETURN_IF_ERROR(ValidateText(key, f + ".traits"));
    if (static_cast<size_t>(list.values_size()) > kMaxTraitValues) {
      return Bad(where, absl::StrCat("at most ", kMaxTraitValues, " values"));
    }
    for (int i = 0; i < list.values_size(); ++i) {
      if (!IsTraitValue(list.values(i))) {
        return Bad(absl::StrCat(where, "[", i, "]"),
                   "values are 1-256 bytes without control characters");
      }
      RETURN_IF_ERROR(ValidateText(list.values(i), absl::StrCat(where, "[", i, "]")));
    }
  }
  // Measured as the token encodes them, so what is accepted here always fits a token
  // (jwt::kMaxSessionTokenBytes) and every server's metadata limit.
  jit::common::v1::Identity identity;
  identity.set_name(user.name());
  *identity.mutable_roles() = user.roles();
  *identity.mutable_traits() = user.traits();
  identity.set_auth_method(user.origin().empty() ? "local" : user.origin());
  if (const size_t bytes = jwt::IdentityClaimBytes(identity); bytes > jwt::kMaxIdentityClaimBytes) {
    return Bad(f, absl::StrCat("name, roles and traits take ", bytes,
                               " bytes in a session token, over the limit of ",
                               jwt::kMaxIdentityClaimBytes,
                               " bytes (8 KiB; the token travels in every call's metadata)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateNewPassword(const SecretString& password, std::string_view field) {
  if (password.size() < kMinPasswordBytes) {
    return Bad(field, absl::StrCat("must be at least ", kMinPasswordBytes, " bytes"));
  }
  if (password.size() > kMaxPasswordBytes) {
    return Bad(field, absl::StrCat("must be at most ", kMaxPasswordBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace jit::auth
