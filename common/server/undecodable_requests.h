// Undecodable requests answer INVALID_ARGUMENT, not INTERNAL.
//
// gRPC's generated handlers parse the request before the handler runs; bytes that are not a
// valid protobuf, or a proto3 string field that is not valid UTF-8, make the parse fail and
// gRPC answers INTERNAL with an empty message - a server fault by its code, though the fault
// is the caller's, and indistinguishable from a real internal error in metrics and alerts.
// This server interceptor notices the failed parse (the call's first received message is
// null) and turns that INTERNAL into INVALID_ARGUMENT "request could not be decoded ...".
// GrpcServer installs it first, so the metrics interceptor counts the corrected code.
// Thread-safety: one interceptor per call, as gRPC creates them; the factory is stateless.
#ifndef JIT_COMMON_SERVER_UNDECODABLE_REQUESTS_H_
#define JIT_COMMON_SERVER_UNDECODABLE_REQUESTS_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace jit::server {

inline constexpr char kUndecodableRequestMessage[] =
    "request could not be decoded: malformed protobuf, or a string field that is not valid "
    "UTF-8";

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeUndecodableRequestInterceptorFactory();

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_UNDECODABLE_REQUESTS_H_
