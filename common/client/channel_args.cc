#include "common/client/channel_args.h"

#include "common/grpc_limits.h"
#include "grpc/grpc.h"

namespace jit::client {

grpc::ChannelArguments ClientChannelArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, static_cast<int>(kMaxGrpcMetadataBytes));
  return args;
}

}  // namespace jit::client
