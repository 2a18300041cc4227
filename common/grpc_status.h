// The one place where absl::Status and grpc::Status meet.
//
// ToGrpcStatus keeps the code and message of errors meant for the caller. INTERNAL, UNKNOWN
// and DATA_LOSS carry implementation detail (SQL, file paths, OpenSSL errors): the caller
// gets a short generic message and the detail goes to the log instead. A message longer
// than kMaxStatusMessageBytes is cut (with its length): it travels in a trailer
// (grpc-message, percent-encoded, up to 3x longer), and an error that quotes a hostile
// request whole must not outgrow the caller's metadata limit. Code that quotes input uses
// common/text/quote.h first; this is the last bound.
#ifndef JIT_COMMON_GRPC_STATUS_H_
#define JIT_COMMON_GRPC_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace jit {

inline constexpr size_t kMaxStatusMessageBytes = 1024;

// Converts for returning from a gRPC handler. `method` (e.g. "/jit.ca.v1.CaService/X")
// only labels the log line written for hidden internal errors.
grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method = "");

// Converts the result of an outbound call. Codes map one to one.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace jit

#endif  // JIT_COMMON_GRPC_STATUS_H_
