// --bootstrap_users_file: local users created at start-up when missing (never overwritten),
// e.g. for local runs and first installs:
//
//   users:
//     - name: alice
//       roles: [dev]
//       traits: {logins: [alice], db_users: [alice]}
//       password_file: alice.password      # relative to this file; mode 0600
//       totp_secret_file: alice.totp       # optional: base32 secret, TOTP enabled at once
//
// Passwords and TOTP secrets come from files (never inline). A user without password_file
// cannot log in with a password until one is set.
#ifndef JIT_SERVICES_AUTH_BOOTSTRAP_USERS_H_
#define JIT_SERVICES_AUTH_BOOTSTRAP_USERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jit/auth/v1/auth.pb.h"
#include "services/auth/user_administration.h"

namespace jit::auth {

struct BootstrapUser {
  jit::auth::v1::User profile;   // name, roles, traits
  std::string password_file;     // absolute ("" = none)
  std::string totp_secret_file;  // absolute ("" = none)
};

// Parses the file's text; relative paths are resolved against `base_dir`. INVALID_ARGUMENT
// naming `source`, the line and the field.
absl::StatusOr<std::vector<BootstrapUser>> ParseBootstrapUsers(const std::string& text,
                                                               const std::string& source,
                                                               const std::string& base_dir);

// Reads and parses `path`.
absl::StatusOr<std::vector<BootstrapUser>> LoadBootstrapUsers(const std::string& path);

// Creates the users that do not exist yet (reading their secret files). Returns the names
// created. Errors name the user.
absl::StatusOr<std::vector<std::string>> ApplyBootstrapUsers(
    const std::vector<BootstrapUser>& users, UserAdministration& administration);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_BOOTSTRAP_USERS_H_
