// Calling a gRPC method with raw request bytes, as a hostile or broken client would: bytes
// that are not a valid protobuf, or a string field that is not UTF-8 (which the generated
// stubs cannot send). For tests of what a server answers to undecodable requests.
//
//   grpc::ClientContext ctx;
//   grpc::Status s = RawUnaryCall(*channel, "/jit.auth.v1.AuthService/Login", "\xff\xff", &ctx);
//
// Thread-safety: thread-safe; a ClientContext is for one call.
#ifndef JIT_COMMON_TESTING_RAW_CALL_H_
#define JIT_COMMON_TESTING_RAW_CALL_H_

#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace jit::testing {

// Sends `request_bytes` as the request of unary method `full_method`; the reply's bytes go
// to `*response_bytes` when it is not null.
grpc::Status RawUnaryCall(grpc::Channel& channel, const std::string& full_method,
                          const std::string& request_bytes, grpc::ClientContext* context,
                          std::string* response_bytes = nullptr);

// A proto3 message holding `value` as a length-delimited field `field_number` (a string
// field, unchecked: `value` may be invalid UTF-8).
std::string EncodeStringField(int field_number, const std::string& value);

}  // namespace jit::testing

#endif  // JIT_COMMON_TESTING_RAW_CALL_H_
