// What the gRPC benches share (ca_grpc_bench, policy_grpc_bench, requests_bench): a
// service's server front as the binaries run it (TLS with the test PKI; the authentication
// gate of common/auth verifying session tokens - EdDSA JWTs of a test key, as jit-auth issues
// them - and service certificates against a method table on every call; no session
// revoked), session tokens for bench users, a bare echo service as a reference, a closed
// loop keeping N asynchronous calls in flight, and small statistics.
//
//   ASSIGN_OR_DIE(auto gate, BenchGate::Create("requests", {{"/pkg.Svc/M", auth::Users()}}));
//   auto server = server::GrpcServer::Start({..., .tls = gate->tls(),
//                                            .auth_processor = gate->MetadataProcessor()}, ...);
//   std::string bearer = gate->Bearer(user);   // "Bearer <token>"
// Thread-safe once created.
#ifndef JIT_BENCH_GRPC_BENCH_KIT_H_
#define JIT_BENCH_GRPC_BENCH_KIT_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/method_table.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/auth/test_keys.h"
#include "common/clock.h"
#include "common/server/tls.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/grpcpp.h"
#include "jit/bench/v1/echo.grpc.pb.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::bench {

class BenchGate {
 public:
  // The TLS material of the test PKI's `service`; `rules` for the method table.
  static absl::StatusOr<std::unique_ptr<BenchGate>> Create(
      const std::string& service, std::vector<std::pair<std::string, auth::MethodRule>> rules,
      const Clock* clock);

  const server::TlsMaterial& tls() const { return tls_; }
  auth::ServiceAuth& service_auth() { return *service_auth_; }
  // "Bearer <session token>" for `user`, valid for an hour.
  absl::StatusOr<std::string> Bearer(const jit::common::v1::Identity& user) const;

 private:
  BenchGate() = default;
  const Clock* clock_ = nullptr;
  server::TlsMaterial tls_;
  auth::testing::TestSessionKey session_key_;
  std::unique_ptr<auth::MethodAuthorizationTable> table_;
  std::unique_ptr<auth::ServiceAuth> service_auth_;
};

// The CPU time of this process so far (user + system), in seconds.
double ProcessCpuSeconds();

// No session is revoked.
class NoRevocations final : public auth::RevocationFeed {
 public:
  absl::StatusOr<auth::RevocationUpdate> FetchRevocations(int64_t) override {
    return auth::RevocationUpdate{.cursor = 1, .complete = true};
  }
};

// jit.bench.v1.EchoService: returns its request (the bare-RPC reference).
class EchoServiceImpl final : public jit::bench::v1::EchoService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext*, const jit::bench::v1::EchoMessage* request,
                    jit::bench::v1::EchoMessage* response) override {
    *response = *request;
    return grpc::Status::OK;
  }
};

struct Rate {
  double qps = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  double cpu_us_per_call = 0;  // this process (client and server), user + system
};

// Keeps `in_flight` calls outstanding for `duration` and counts those completing in time.
// `start(context, cq)` starts one call and returns its reader; `ok(response)` checks it.
template <typename Response, typename Start, typename Check>
Rate ClosedLoop(absl::Duration duration, int in_flight, Start start, Check ok) {
  struct Call {
    grpc::ClientContext context;
    Response response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
  };
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Call>> calls(in_flight);
  auto launch = [&](int i) {
    calls[i] = std::make_unique<Call>();
    calls[i]->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    calls[i]->reader = start(&calls[i]->context, &cq);
    calls[i]->reader->StartCall();
    calls[i]->reader->Finish(&calls[i]->response, &calls[i]->status,
                             reinterpret_cast<void*>(static_cast<intptr_t>(i)));
  };
  const double cpu_begin = ProcessCpuSeconds();
  const auto begin = std::chrono::steady_clock::now();
  const auto end = begin + absl::ToChronoNanoseconds(duration);
  for (int i = 0; i < in_flight; ++i) launch(i);
  Rate rate;
  int outstanding = in_flight;
  void* tag;
  bool next_ok;
  while (outstanding > 0 && cq.Next(&tag, &next_ok)) {
    --outstanding;
    const int i = static_cast<int>(reinterpret_cast<intptr_t>(tag));
    const auto now = std::chrono::steady_clock::now();
    if (!next_ok || !calls[i]->status.ok() || !ok(calls[i]->response)) {
      ++rate.failed;
      if (rate.failed == 1) {
        std::fprintf(stderr, "call failed: %s\n", calls[i]->status.error_message().c_str());
      }
    } else if (now <= end) {
      ++rate.completed;
    }
    if (now < end) {
      launch(i);
      ++outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &next_ok)) {
  }
  rate.qps = rate.completed / absl::ToDoubleSeconds(duration);
  const int64_t finished = rate.completed + rate.failed;
  if (finished > 0) rate.cpu_us_per_call = (ProcessCpuSeconds() - cpu_begin) * 1e6 / finished;
  return rate;
}
// The p-th percentile (0..1, nearest rank) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);
inline double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }
// JIT_BENCH_SMOKE set (and not "0"), or --smoke among the arguments.
bool SmokeMode(int argc, char** argv);

}  // namespace jit::bench

#endif  // JIT_BENCH_GRPC_BENCH_KIT_H_
