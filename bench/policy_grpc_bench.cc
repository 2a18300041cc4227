// CheckAccess through the policy gRPC service over TLS, next to a bare echo RPC served by
// the same server in the same run.
//
//   bazel run -c opt //bench:policy_grpc_bench              # full run (about 70 s)
//   bazel run -c opt //bench:policy_grpc_bench -- --smoke   # seconds (also JIT_BENCH_SMOKE=1)
//
// Server: one common/server GrpcServer as jit-policy runs it (TLS with the test PKI, the
// authentication gate of common/auth checking the caller's certificate against a method
// table on every call, the RPC-metrics interceptor, the synchronous server with
// --max_threads=128) serving the
// real adapter (PolicyServiceImpl -> PolicyEngine over the 200-role snapshot of
// bench/policy_workload.h) and jit.bench.v1.EchoService, whose handler returns its request.
// Client: in the same process, one TLS channel, an asynchronous completion queue keeping 64
// calls in flight (closed loop). The echo carries the serialized CheckAccessRequest, so both
// RPCs move the same request bytes. Rounds alternate echo and CheckAccess; the goal is the
// median over rounds of (CheckAccess QPS / echo QPS), each ratio taken from two adjacent
// measurements so that a change in the machine's load between rounds cancels out.
// Ends with: GOAL grpc_check_access_vs_echo measured=<ratio>x target=0.8x PASS|MISS
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/grpc_bench_kit.h"
#include "bench/policy_workload.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/clock.h"
#include "common/server/grpc_server.h"
#include "common/server/metrics.h"
#include "common/server/process_settings.h"
#include "common/server/tls.h"
#include "common/server/unary_handler.h"
#include "common/testing/test_pki_files.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "jit/bench/v1/echo.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "prometheus/registry.h"
#include "services/policy/policy_engine.h"
#include "services/policy/policy_service_impl.h"
#include "services/policy/role_administration.h"
#include "services/policy/role_catalog.h"
#include "services/policy/role_snapshot.h"
#include "services/policy/testing/in_memory_role_store.h"

namespace {

namespace pb = ::jit::policy::v1;
namespace eb = ::jit::bench::v1;
using ::jit::bench::EchoServiceImpl;
using ::jit::bench::Median;
using ::jit::bench::Rate;

constexpr int kInFlight = 64;
// --max_threads of the server. The synchronous server needs a thread per call in progress
// plus its pollers; at the default 64, 64 calls in flight are partly refused with
// RESOURCE_EXHAUSTED ("Server Threadpool Exhausted"), so the bench runs the server as an
// operator expecting 64 concurrent calls would.
constexpr int kServerThreads = 128;
constexpr double kTargetRatio = 0.8;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "policy_grpc_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  jit::server::ApplyServiceProcessSettings();  // as every service binary does
  bool smoke = std::getenv("JIT_BENCH_SMOKE") != nullptr &&
               std::strcmp(std::getenv("JIT_BENCH_SMOKE"), "0") != 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
  }
  const absl::Duration warmup = smoke ? absl::Milliseconds(200) : absl::Seconds(2);
  const absl::Duration round = smoke ? absl::Milliseconds(300) : absl::Seconds(4);
  const int rounds = smoke ? 1 : 5;

  // The service, as jit-policy wires it (the store only serves the unused role RPCs).
  auto snapshot = jit::policy::RoleSnapshot::Create(jit::bench::PolicyBenchRoles(), 1);
  if (!snapshot.ok()) Die(snapshot.status().ToString());
  jit::policy::RoleSnapshotHolder holder(*snapshot);
  const jit::Clock& clock = jit::RealClock::Get();
  jit::policy::testing::InMemoryRoleStore store;
  jit::policy::RoleCatalog catalog(&store, &holder, &clock);
  jit::policy::PolicyEngine engine(&holder, &clock);
  jit::policy::RoleAdministration roles(&catalog, &engine);
  auto tls = jit::server::LoadTlsMaterial(jit::testing::TestTlsFiles("policy"));
  if (!tls.ok()) Die(tls.status().ToString());
  // The authentication gate of every service (common/auth's ServiceAuth) with the project's
  // rule for CheckAccess, and the same rule for the echo.
  auto table = jit::auth::MethodAuthorizationTable::Create(
      {{"/jit.policy.v1.PolicyService/CheckAccess", jit::auth::AnyService()},
       {"/jit.bench.v1.EchoService/Echo", jit::auth::AnyService()}});
  if (!table.ok()) Die(table.status().ToString());
  auto service_auth =
      jit::auth::ServiceAuth::Create({.token_issuer = "jit-access",
                                      .token_audience = "jit-access",
                                      .ca_bundle_pem = tls->ca_pem,
                                      .table = &*table},
                                     {.jwks = std::make_unique<jit::auth::StaticJwksSource>(),
                                      .revocations = std::make_unique<jit::bench::NoRevocations>()},
                                     &clock);
  if (!service_auth.ok()) Die(service_auth.status().ToString());
  jit::policy::PolicyServiceImpl policy_service(
      &engine, &roles, jit::server::AuthorizedCaller((*service_auth)->authorizer()));
  EchoServiceImpl echo_service;

  prometheus::Registry registry;
  jit::server::GrpcServerMetrics metrics("policy", registry, clock);
  auto server = jit::server::GrpcServer::Start(
      {.service_name = "policy",
       .listen_address = "127.0.0.1:0",
       .tls = *tls,
       .max_threads = kServerThreads,
       .auth_processor = (*service_auth)->MetadataProcessor()},
      {jit::server::RegisteredService::Of<pb::PolicyService>(&policy_service),
       jit::server::RegisteredService::Of<eb::EchoService>(&echo_service)},
      &metrics);
  if (!server.ok()) Die(server.status().ToString());
  // Information only: the same echo on a server without the authentication gate, to show
  // what the gate costs every RPC.
  auto ungated = jit::server::GrpcServer::Start(
      {.service_name = "ungated",
       .listen_address = "127.0.0.1:0",
       .tls = *tls,
       .max_threads = kServerThreads},
      {jit::server::RegisteredService::Of<eb::EchoService>(&echo_service)}, nullptr);
  if (!ungated.ok()) Die(ungated.status().ToString());

  auto client_tls = jit::server::LoadTlsMaterial(jit::testing::TestTlsFiles("ca"));
  if (!client_tls.ok()) Die(client_tls.status().ToString());
  auto channel = grpc::CreateChannel(absl::StrCat("localhost:", (*server)->port()),
                                     jit::server::MakeChannelCredentials(*client_tls));
  auto policy = pb::PolicyService::NewStub(channel);
  auto echo = eb::EchoService::NewStub(channel);
  auto ungated_echo = eb::EchoService::NewStub(
      grpc::CreateChannel(absl::StrCat("localhost:", (*ungated)->port()),
                          jit::server::MakeChannelCredentials(*client_tls)));

  const pb::CheckAccessRequest access = jit::bench::RealisticCheckAccess();
  eb::EchoMessage echo_request;
  echo_request.set_payload(access.SerializeAsString());

  auto run_access = [&](absl::Duration d) {
    return jit::bench::ClosedLoop<pb::CheckAccessResponse>(
        d, kInFlight,
        [&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
          return policy->PrepareAsyncCheckAccess(ctx, access, cq);
        },
        [](const pb::CheckAccessResponse& r) { return r.allowed(); });
  };
  auto run_echo_on = [&](eb::EchoService::Stub* stub, absl::Duration d) {
    return jit::bench::ClosedLoop<eb::EchoMessage>(
        d, kInFlight,
        [&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
          return stub->PrepareAsyncEcho(ctx, echo_request, cq);
        },
        [&](const eb::EchoMessage& r) {
          return r.payload().size() == echo_request.payload().size();
        });
  };
  auto run_echo = [&](absl::Duration d) { return run_echo_on(echo.get(), d); };

  run_echo(warmup);
  run_access(warmup);
  run_echo_on(ungated_echo.get(), warmup);
  std::vector<double> echo_qps, access_qps, ratios, echo_cpu, access_cpu, ungated_qps, ungated_cpu;
  int64_t failures = 0;
  for (int i = 0; i < rounds; ++i) {
    const Rate e = run_echo(round);
    const Rate a = run_access(round);
    const Rate u = run_echo_on(ungated_echo.get(), round);
    failures += e.failed + a.failed + u.failed;
    ungated_qps.push_back(u.qps);
    ungated_cpu.push_back(u.cpu_us_per_call);
    echo_qps.push_back(e.qps);
    access_qps.push_back(a.qps);
    ratios.push_back(e.qps > 0 ? a.qps / e.qps : 0);
    echo_cpu.push_back(e.cpu_us_per_call);
    access_cpu.push_back(a.cpu_us_per_call);
    std::printf(
        "round %d: echo %.0f qps (%.1f us CPU/call), CheckAccess %.0f qps (%.1f us "
        "CPU/call), ratio %.2f (%d in flight, %s each)\n",
        i + 1, e.qps, e.cpu_us_per_call, a.qps, a.cpu_us_per_call, ratios.back(), kInFlight,
        absl::FormatDuration(round).c_str());
  }
  (*server)->Shutdown(absl::Seconds(5));
  (*ungated)->Shutdown(absl::Seconds(5));
  if (failures > 0) Die(absl::StrCat(failures, " calls failed"));

  const double echo_median = Median(echo_qps);
  const double access_median = Median(access_qps);
  const double ratio = Median(ratios);
  std::printf("\n%s\n", smoke ? "SMOKE run (figures are indicative only)" : "");
  std::printf("REF grpc_echo measured=%.0fqps (bare echo RPC, same server, TLS, %d in flight)\n",
              echo_median, kInFlight);
  std::printf("INFO grpc_check_access measured=%.0fqps (%.1fus per call at this rate)\n",
              access_median, access_median > 0 ? 1e6 / access_median : 0.0);
  // CPU per call (client and server together) does not depend on the share of the machine
  // the process got, so it is steadier than QPS on a shared machine; not the goal.
  const double echo_cpu_median = Median(echo_cpu), access_cpu_median = Median(access_cpu);
  std::printf("INFO cpu_per_call echo=%.1fus check_access=%.1fus ratio=%.2fx\n", echo_cpu_median,
              access_cpu_median, access_cpu_median > 0 ? echo_cpu_median / access_cpu_median : 0.0);
  std::printf(
      "INFO grpc_echo_without_auth_gate measured=%.0fqps (%.1fus CPU/call; the gate "
      "is on both measured RPCs)\n",
      Median(ungated_qps), Median(ungated_cpu));
  std::printf("GOAL grpc_check_access_vs_echo measured=%.2fx target=%.1fx %s\n", ratio,
              kTargetRatio, ratio >= kTargetRatio ? "PASS" : "MISS");
  return 0;
}
