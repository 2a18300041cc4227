// A client of gRPC server reflection for tests: which services does a server offer?
// Thread-safety: the function is thread-safe; `context` is used for one call only.
#ifndef JIT_COMMON_TESTING_REFLECTION_CLIENT_H_
#define JIT_COMMON_TESTING_REFLECTION_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace jit::testing {

// The fully qualified names of the services `channel`'s server lists, asked with `context`
// (its credentials and deadline). The call's status when the server refuses or fails it;
// INTERNAL when it answers with a reflection error or no list.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context);

}  // namespace jit::testing

#endif  // JIT_COMMON_TESTING_REFLECTION_CLIENT_H_
