// Routes what gRPC core and protobuf log on their own into the service's log (spdlog),
// rate-limited. Both write straight to stderr otherwise, and a stranger can make them: gRPC
// logs every failed TLS handshake at ERROR ("Handshake failed with fatal error ..."),
// protobuf every request string that is not UTF-8 - an unbounded stream of unstructured lines
// that bypassed --log_file/--log_format and could fill a disk. Here each source writes at
// most kLibraryLogLines lines a minute (the next line says how many were left out), in the
// service's format, "grpc:" / "protobuf:" prefixed; gRPC errors go out as warnings (a peer's
// failed handshake is not this service's error).
// Call once after InitLogging, before the server starts. Not thread-safe itself (it sets
// process-wide handlers); the handlers are.
#ifndef JIT_COMMON_SERVER_LIBRARY_LOGS_H_
#define JIT_COMMON_SERVER_LIBRARY_LOGS_H_

namespace jit::server {

inline constexpr int kLibraryLogLines = 20;

void RouteLibraryLogs();

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_LIBRARY_LOGS_H_
