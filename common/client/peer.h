// Calling another jit-access service: an mTLS channel, a deadline on every call, and one
// mapping of transport failures to the caller's status.
//
//   PeerClient policy("policy", address, tls, absl::Seconds(2));
//   auto stub = jit::policy::v1::PolicyService::NewStub(policy.channel());
//   auto ctx = policy.NewContext();
//   grpc::Status s = stub->CheckAccess(ctx.get(), request, &response);
//   RETURN_IF_ERROR(policy.ToStatus(s));
//
// A peer that is down or too slow gives UNAVAILABLE (retryable), never a crash or a hang.
#ifndef JIT_COMMON_CLIENT_PEER_H_
#define JIT_COMMON_CLIENT_PEER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/tls.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace jit::client {

class PeerClient {
 public:
  // `name` names the peer in errors ("policy"); `address` is "host:port". The channel
  // connects lazily, so a peer that is down at start-up is not an error.
  PeerClient(std::string name, const std::string& address,
             const server::TlsMaterial& tls, absl::Duration timeout);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A fresh context whose deadline is now + timeout.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  // Maps a call's status for returning to our own caller:
  //  - UNAVAILABLE / DEADLINE_EXCEEDED (peer down, unreachable, too slow) -> UNAVAILABLE
  //    "<name> service unavailable: ...";
  //  - UNAUTHENTICATED from the peer (our service identity refused) -> INTERNAL, since it
  //    is a deployment fault, not the end user's;
  //  - other codes pass through unchanged.
  absl::Status ToStatus(const grpc::Status& status) const;

  const std::string& name() const { return name_; }
  absl::Duration timeout() const { return timeout_; }

 private:
  const std::string name_;
  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace jit::client

#endif  // JIT_COMMON_CLIENT_PEER_H_
