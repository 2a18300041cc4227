// Join tokens: the one-time secrets an admin hands to a host or a service replica so that it
// can enrol (services/ca/join/enrollment.h). A token reads "jt1.<token_id>.<secret>": the id
// (16 random bytes, base64url) names the row and appears in audit events; the secret (32
// random bytes) is never stored - only SHA-256 of the whole token (hex) is.
// Pure functions; thread-safe.
#ifndef JIT_SERVICES_CA_JOIN_JOIN_TOKEN_H_
#define JIT_SERVICES_CA_JOIN_JOIN_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "jit/ca/v1/ca.pb.h"

namespace jit::ca::join {

struct NewToken {
  std::string token_id;
  SecretString token;  // the whole "jt1.<id>.<secret>", handed out once
  std::string token_hash;
};

// A fresh token. INTERNAL when the random generator fails.
absl::StatusOr<NewToken> GenerateJoinToken();

struct ParsedToken {
  std::string token_id;
  std::string token_hash;
};

// Splits and hashes a presented token. INVALID_ARGUMENT when it is not of the form above
// (the message never repeats the token).
absl::StatusOr<ParsedToken> ParseJoinToken(std::string_view token);

// "host" / "service"; INVALID_ARGUMENT for UNSPECIFIED or unknown values.
absl::StatusOr<std::string> JoinTokenKindName(v1::JoinTokenKind kind);
absl::StatusOr<v1::JoinTokenKind> ParseJoinTokenKind(std::string_view name);

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_JOIN_TOKEN_H_
