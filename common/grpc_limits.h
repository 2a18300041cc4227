// Limits every jit-access server and client agrees on, so what one side sends the other
// accepts.
//
// Metadata (all request or response headers together, as gRPC counts them: name + value +
// 32 bytes per entry) is at most kMaxGrpcMetadataBytes on every server (common/server) and on
// the project's clients (common/client, tools, tests). A session token is at most
// jwt::kMaxSessionTokenBytes, so "authorization: Bearer <token>" leaves room for every other
// header under this limit (static_assert in common/jwt/session_token.h).
#ifndef JIT_COMMON_GRPC_LIMITS_H_
#define JIT_COMMON_GRPC_LIMITS_H_

#include <cstddef>

namespace jit {

// gRPC's default is 8 KiB; session tokens need more, and every side sets this value.
inline constexpr size_t kMaxGrpcMetadataBytes = 16 * 1024;

// What gRPC counts for one metadata entry besides its name and value (RFC 7541, 4.1).
inline constexpr size_t kGrpcMetadataEntryOverhead = 32;

}  // namespace jit

#endif  // JIT_COMMON_GRPC_LIMITS_H_
