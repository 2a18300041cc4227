#include "services/auth/bootstrap_users.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto/base32.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "services/auth/yaml_fields.h"

namespace jit::auth {
absl::StatusOr<std::vector<BootstrapUser>> ParseBootstrapUsers(const std::string& text,
                                                               const std::string& source,
                                                               const std::string& base_dir) {
  ASSIGN_OR_RETURN(YAML::Node root, yaml::LoadString(text, source));
  const yaml::Reader r(source);
  std::vector<BootstrapUser> users;
  std::set<std::string> names;
  RETURN_IF_ERROR(r.Map(
      root, "",
      {{"users",
        [&](const YAML::Node& list, const std::string& path) {
          return r.List(list, path, [&](const YAML::Node& item, const std::string& p) {
            BootstrapUser user;
            std::string name;
            std::vector<std::string> roles;
            std::map<std::string, std::vector<std::string>> traits;
            RETURN_IF_ERROR(r.Map(
                item, p,
                {{"name",
                  [&](const YAML::Node& n, const std::string& f) { return r.String(n, f, &name); }},
                 {"roles", [&](const YAML::Node& n,
                               const std::string& f) { return r.StringList(n, f, &roles); }},
                 {"traits", [&](const YAML::Node& n,
                                const std::string& f) { return r.StringListMap(n, f, &traits); }},
                 {"password_file",
                  [&](const YAML::Node& n, const std::string& f) {
                    return r.String(n, f, &user.password_file);
                  }},
                 {"totp_secret_file",
                  [&](const YAML::Node& n, const std::string& f) {
                    return r.String(n, f, &user.totp_secret_file);
                  }}},
                {"name"}));
            if (!names.insert(name).second) {
              return r.Error(item, p + ".name", absl::StrCat("user \"", name, "\" listed twice"));
            }
            user.profile.set_name(name);
            for (auto& role : roles) user.profile.add_roles(role);
            for (auto& [key, values] : traits) {
              auto& list = (*user.profile.mutable_traits())[key];
              for (auto& v : values) list.add_values(v);
            }
            user.password_file = yaml::ResolvePath(base_dir, user.password_file);
            user.totp_secret_file = yaml::ResolvePath(base_dir, user.totp_secret_file);
            users.push_back(std::move(user));
            return absl::OkStatus();
          });
        }}},
      {"users"}));
  return users;
}

absl::StatusOr<std::vector<BootstrapUser>> LoadBootstrapUsers(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, yaml::ReadFile(path));
  return ParseBootstrapUsers(text, path, yaml::DirectoryOf(path));
}

absl::StatusOr<std::vector<std::string>> ApplyBootstrapUsers(
    const std::vector<BootstrapUser>& users, UserAdministration& administration) {
  std::vector<std::string> created;
  for (const BootstrapUser& user : users) {
    const std::string& name = user.profile.name();
    auto fail = [&](const absl::Status& s) {
      return absl::Status(s.code(), absl::StrCat("bootstrap user \"", name, "\": ", s.message()));
    };
    SecretString password;
    if (!user.password_file.empty()) {
      absl::StatusOr<SecretString> read = ReadSecretFile(user.password_file);
      if (!read.ok()) return fail(read.status());
      password = *std::move(read);
    }
    SecretString totp_secret;
    if (!user.totp_secret_file.empty()) {
      absl::StatusOr<SecretString> read = ReadSecretFile(user.totp_secret_file);
      if (!read.ok()) return fail(read.status());
      absl::StatusOr<std::string> raw = crypto::Base32Decode(read->Reveal());
      if (!raw.ok()) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat(user.totp_secret_file, ": not a base32 TOTP secret")));
      }
      totp_secret = SecretString(*std::move(raw));
    }
    absl::StatusOr<bool> made = administration.EnsureUser(user.profile, password, totp_secret);
    if (!made.ok()) return fail(made.status());
    if (*made) created.push_back(name);
  }
  return created;
}

}  // namespace jit::auth
