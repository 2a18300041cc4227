// The channel arguments every jit-access client uses (peer clients, tools, tests): the
// project-wide metadata limit (common/grpc_limits.h), so a client accepts whatever a
// jit-access server may send and agrees with the servers on what a call may carry.
//
//   auto channel = grpc::CreateCustomChannel(address, credentials, ClientChannelArguments());
#ifndef JIT_COMMON_CLIENT_CHANNEL_ARGS_H_
#define JIT_COMMON_CLIENT_CHANNEL_ARGS_H_

#include "grpcpp/support/channel_arguments.h"

namespace jit::client {

grpc::ChannelArguments ClientChannelArguments();

}  // namespace jit::client

#endif  // JIT_COMMON_CLIENT_CHANNEL_ARGS_H_
