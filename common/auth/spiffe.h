// SPIFFE-style identities in jit-access certificates:
//   spiffe://jit-access/service/<service>   services (auth, ca, requests, policy, audit, ...)
//   spiffe://jit-access/user/<user>         people's client certificates (CLI tests)
//   spiffe://jit-access/host/<host>         machines enrolled by join token (tools/jit-host)
#ifndef JIT_COMMON_AUTH_SPIFFE_H_
#define JIT_COMMON_AUTH_SPIFFE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jit::auth {

inline constexpr std::string_view kTrustDomain = "jit-access";

// [a-z][a-z0-9-]{0,62}
bool IsValidServiceName(std::string_view name);
// 1-64 of letters, digits, '.', '_', '-', '@' (as jit.auth.v1.User.name).
bool IsValidUserName(std::string_view name);
// 1-253 of lowercase letters, digits, '.', '-' (a DNS name or an IPv4 address), starting
// with a letter or digit.
bool IsValidHostName(std::string_view name);

std::string ServiceSpiffeId(std::string_view service);
std::string UserSpiffeId(std::string_view user);
std::string HostSpiffeId(std::string_view host);

struct SpiffeId {
  enum class Kind { kService, kUser, kHost };
  Kind kind;
  std::string name;
};

// Parses one of the three forms above, exactly (no other trust domain, no query, fragment,
// port, trailing slash or extra segment). INVALID_ARGUMENT otherwise.
absl::StatusOr<SpiffeId> ParseSpiffeId(std::string_view uri);

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_SPIFFE_H_
