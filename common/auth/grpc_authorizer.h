// gRPC glue for CallAuthorizer; both pieces fail closed and a server uses both:
// 1. A gate before any handler runs: AuthorizingMetadataProcessor, installed on the server
//    credentials (creds->SetAuthMetadataProcessor(...)). A refused call ends with the exact
//    code (UNAUTHENTICATED / PERMISSION_DENIED / UNAVAILABLE); its handler never runs.
// 2. AuthorizeServerCall(authorizer, context, method): the caller's identity inside a
//    handler, authorised again from the call's own credentials (a cache hit). The processor
//    cannot pass its result on: gRPC 1.51 shares one AuthContext among a connection's calls.
#ifndef JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_
#define JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/call_authorizer.h"
#include "common/clock.h"
#include "common/log_rate_limiter.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/server_context.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::auth {

// Told of every call the gate refuses (the handler never runs, so no server interceptor
// sees it): the full method name as sent, the code, and the time the gate took. Metrics use
// it to count refusals with the calls they would otherwise miss. Thread-safe; must not block.
using GateRefusalRecorder = std::function<void(std::string_view full_method, grpc::StatusCode code,
                                               absl::Duration latency)>;

// Runs the CallAuthorizer for every call, before the handler. A refusal is reported to
// `on_refusal` (may be empty) and logged at INFO, at most kRefusalLogLines lines a minute
// (anyone can provoke refusals; the log must not become their disk-filling tool), the next
// logged line saying how many were left out. Thread-safe; `authorizer` and `clock` are not
// owned and must outlive the server.
class AuthorizingMetadataProcessor final : public grpc::AuthMetadataProcessor {
 public:
  static constexpr int kRefusalLogLines = 20;

  explicit AuthorizingMetadataProcessor(const CallAuthorizer* authorizer,
                                        GateRefusalRecorder on_refusal = nullptr,
                                        const Clock* clock = &RealClock::Get())
      : authorizer_(authorizer),
        on_refusal_(std::move(on_refusal)),
        clock_(clock),
        refusal_log_(*clock, kRefusalLogLines, absl::Minutes(1)) {}

  // Token verification may fetch keys over the network.
  bool IsBlocking() const override { return true; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // How many refusals were logged since start (tests of the rate limit).
  int64_t logged_refusals() const { return logged_refusals_.load(); }

 private:
  const CallAuthorizer* const authorizer_;
  const GateRefusalRecorder on_refusal_;
  const Clock* const clock_;
  LogRateLimiter refusal_log_;
  std::atomic<int64_t> logged_refusals_{0};
};

// The caller's identity for a call to `full_method` (way 2 above), or the refusal.
absl::StatusOr<jit::common::v1::Identity> AuthorizeServerCall(const CallAuthorizer& authorizer,
                                                              const grpc::ServerContext& context,
                                                              std::string_view full_method);

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_GRPC_AUTHORIZER_H_
