// Input checks for users, with INVALID_ARGUMENT messages that name the field:
//   name   1-64 of letters, digits, '.', '_', '-', '@'
//   roles  at most 64, each 1-253 of a-z, 0-9, '-', '_', '.', '@' (policy's role names),
//          no duplicates
//   traits at most 32 keys of 1-128 printable bytes without spaces; at most 64 values per
//          key, each 1-256 bytes of UTF-8 without control characters
//   size   name, roles, traits and origin at most jwt::kMaxIdentityClaimBytes (8 KiB) as a
//          session token encodes them (jwt::IdentityClaimBytes): every call carries the token
//          in its metadata, which every server caps (common/grpc_limits.h)
//   password 12-1024 bytes (a new password; Login accepts any 1-1024 bytes)
#ifndef JIT_SERVICES_AUTH_USER_VALIDATION_H_
#define JIT_SERVICES_AUTH_USER_VALIDATION_H_

#include <string_view>

#include "absl/status/status.h"
#include "common/secret.h"
#include "jit/auth/v1/auth.pb.h"

namespace jit::auth {

inline constexpr size_t kMinPasswordBytes = 12;
inline constexpr size_t kMaxPasswordBytes = 1024;

// `field` prefixes the message ("name", "user.name").
absl::Status ValidateUserName(std::string_view name, std::string_view field);

// Roles and traits of `user` (the name is checked separately); `field` is the message's
// prefix for the user ("user").
absl::Status ValidateRolesAndTraits(const jit::auth::v1::User& user, std::string_view field);

// A password being set. `field` names it ("password", "new_password").
absl::Status ValidateNewPassword(const SecretString& password, std::string_view field);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_USER_VALIDATION_H_
