// What the gRPC benches share: a service's server front as the binaries run it (TLS with the
// test PKI; the authentication gate of common/auth verifying session tokens - EdDSA JWTs of a
// test key, as jit-auth issues them - and service certificates against a method table on
// every call; no session revoked), session tokens for bench users, and small statistics.
//
//   ASSIGN_OR_DIE(auto gate, BenchGate::Create("requests", {{"/pkg.Svc/M", auth::Users()}}));
//   auto server = server::GrpcServer::Start({..., .tls = gate->tls(),
//                                            .auth_processor = gate->MetadataProcessor()}, ...);
//   std::string bearer = gate->Bearer(user);   // "Bearer <token>"
// Thread-safe once created.
#ifndef JIT_BENCH_GRPC_BENCH_KIT_H_
#define JIT_BENCH_GRPC_BENCH_KIT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/method_table.h"
#include "common/auth/service_auth.h"
#include "common/auth/test_keys.h"
#include "common/clock.h"
#include "common/server/tls.h"
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
// The p-th percentile (0..1, nearest rank) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);
inline double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }
// JIT_BENCH_SMOKE set (and not "0"), or --smoke among the arguments.
bool SmokeMode(int argc, char** argv);

}  // namespace jit::bench

#endif  // JIT_BENCH_GRPC_BENCH_KIT_H_
