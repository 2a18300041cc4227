// SignUserSshCert through the ca gRPC service over TLS, next to a bare echo RPC served by the
// same server in the same run (issue 10's goal: >= 0.5x the echo at 64 calls in flight).
//
//   bazel run -c opt //bench:ca_grpc_bench              # full run (about 60 s)
//   bazel run -c opt //bench:ca_grpc_bench -- --smoke   # seconds (also JIT_BENCH_SMOKE=1)
//
// Server: one common/server GrpcServer as jit-ca runs it (TLS with the test PKI, the
// authentication gate of common/auth verifying the caller's session token (EdDSA JWT) against
// the method table on every call, the RPC-metrics interceptor, the synchronous server with
// 128 threads) serving the real adapter (CaServiceImpl -> CertIssuer with an Ed25519 ssh-user
// CA) and jit.bench.v1.EchoService, whose handler returns its request; both methods need the
// session token. Each SignUserSshCert checks the token, parses the user's key, asks for the
// named grant (ListActiveGrants) and the roles' parameters (ComputeCertParams) and checks
// them, signs, encodes, and builds the cert.issue audit event. The peers and the database
// are in-process stand-ins answering at once (what is measured is the CA's own path; a
// deployment adds a policy and a requests round trip and one PostgreSQL insert per
// certificate). Client: in the same process, one TLS channel, an asynchronous completion
// queue keeping 64 calls in flight (closed loop). The echo carries the serialized
// SignUserSshCertRequest, so both RPCs move the same request bytes. Rounds alternate echo
// and SignUserSshCert; the goal is the median over rounds of (sign QPS / echo QPS), each
// ratio from two adjacent measurements.
// Ends with: GOAL grpc_sign_user_ssh_cert_vs_echo measured=<ratio>x target=0.5x PASS|MISS
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
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
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/auth/test_keys.h"
#include "common/clock.h"
#include "common/proto_time.h"
#include "common/server/grpc_server.h"
#include "common/server/metrics.h"
#include "common/server/process_settings.h"
#include "common/server/tls.h"
#include "common/server/unary_handler.h"
#include "common/testing/test_pki_files.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "jit/bench/v1/echo.grpc.pb.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "prometheus/registry.h"
#include "services/ca/ca_keyring.h"
#include "services/ca/ca_metrics.h"
#include "services/ca/ca_service_impl.h"
#include "services/ca/cert_issuer.h"
#include "services/ca/testing/client_keys.h"
#include "services/ca/testing/in_memory_ca_key_store.h"
#include "services/policy/client/permission_checker.h"
#include "services/policy/client/policy_client.h"
#include "services/requests/client/requests_client.h"

namespace {

namespace pb = ::jit::ca::v1;
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
constexpr double kTargetRatio = 0.5;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ca_grpc_bench: %s\n", what.c_str());
  std::exit(1);
}

// Policy's answer for the session's roles plus the grant's, at once.
class ImmediatePolicy final : public jit::policy::PolicyClient {
 public:
  absl::StatusOr<jit::policy::v1::CheckRequestResponse> CheckRequest(
      const jit::policy::v1::CheckRequestRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
  absl::StatusOr<jit::policy::v1::CheckReviewResponse> CheckReview(
      const jit::policy::v1::CheckReviewRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
  absl::StatusOr<jit::policy::v1::ComputeCertParamsResponse> ComputeCertParams(
      const jit::policy::v1::ComputeCertParamsRequest& request) override {
    jit::policy::v1::ComputeCertParamsResponse out;
    auto* p = out.mutable_params();
    p->add_logins("alice");
    p->add_logins("ubuntu");
    p->mutable_max_ttl()->set_seconds(8 * 3600);
    (*p->mutable_ssh_extensions())["permit-pty"] = "";
    (*p->mutable_ssh_extensions())["permit-port-forwarding"] = "";
    for (const std::string& r : request.roles()) p->add_roles(r);
    return out;
  }
  absl::StatusOr<jit::policy::v1::CheckAccessResponse> CheckAccess(
      const jit::policy::v1::CheckAccessRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
  absl::StatusOr<jit::policy::v1::CheckPermissionResponse> CheckPermission(
      const jit::policy::v1::CheckPermissionRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
};

// One active grant "req-1" of alice's.
class ImmediateRequests final : public jit::requests::RequestsClient {
 public:
  explicit ImmediateRequests(absl::Time now) {
    auto* g = grants_.add_grants();
    g->set_id("req-1");
    g->set_user("alice");
    g->add_roles("dba");
    g->set_active(true);
    jit::SetProtoTimestamp(now - absl::Minutes(5), g->mutable_start_time());
    jit::SetProtoTimestamp(now + absl::Hours(4), g->mutable_expire_time());
  }
  absl::StatusOr<jit::requests::v1::ListActiveGrantsResponse> ListActiveGrants(
      const jit::requests::v1::ListActiveGrantsRequest&) override {
    return grants_;
  }

 private:
  jit::requests::v1::ListActiveGrantsResponse grants_;
};

class NoPermissions final : public jit::policy::PermissionChecker {
 public:
  absl::Status Check(const jit::common::v1::Identity&, std::string_view,
                     std::string_view) override {
    return absl::PermissionDeniedError("not in this bench");
  }
};

// Counts what would be recorded (the database is not part of this measurement).
class CountingStore final : public jit::ca::IssuedCertStore {
 public:
  absl::Status Record(const jit::common::v1::IssuedCertificate&, absl::Time,
                      const jit::common::v1::AuditEvent&) override {
    count_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  absl::Status RecordRefusal(const jit::common::v1::AuditEvent&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<jit::ca::IssuedCertPage> List(const jit::ca::IssuedCertFilter&, int,
                                               std::string_view) override {
    return jit::ca::IssuedCertPage{};
  }
  int64_t count() const { return count_.load(); }

 private:
  std::atomic<int64_t> count_{0};
};

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

  const jit::Clock& clock = jit::RealClock::Get();
  const absl::Time now = clock.Now();
  // The CA as jit-ca wires it, over in-process stand-ins for its peers and database.
  jit::ca::testing::InMemoryCaKeyStore keys;
  auto keyring = jit::ca::CaKeyring::Open(keys, clock);
  if (!keyring.ok()) Die(keyring.status().ToString());
  CountingStore store;
  ImmediatePolicy policy;
  ImmediateRequests requests(now);
  NoPermissions permissions;
  prometheus::Registry registry;
  jit::ca::CaMetrics ca_metrics(registry);
  jit::ca::CertIssuer issuer(keyring->get(), &store, &policy, &requests, &permissions, &clock,
                             &ca_metrics);

  // Session tokens as jit-auth issues them, verified by the gate of every service.
  auto session_key = jit::auth::testing::MakeTestSessionKey("k1", "jit-access", "jit-access");
  if (!session_key.ok()) Die(session_key.status().ToString());
  jit::common::v1::Identity alice = jit::auth::testing::TestUser("alice", "session-1");
  alice.clear_roles();
  alice.add_roles("dev");
  auto token = session_key->issuer->Issue(alice, now - absl::Minutes(1), now + absl::Hours(1));
  if (!token.ok()) Die(token.status().ToString());

  auto tls = jit::server::LoadTlsMaterial(jit::testing::TestTlsFiles("ca"));
  if (!tls.ok()) Die(tls.status().ToString());
  auto table = jit::auth::MethodAuthorizationTable::Create(
      {{"/jit.ca.v1.CaService/SignUserSshCert", jit::auth::Users()},
       {"/jit.bench.v1.EchoService/Echo", jit::auth::Users()}});
  if (!table.ok()) Die(table.status().ToString());
  auto service_auth =
      jit::auth::ServiceAuth::Create({.token_issuer = "jit-access",
                                      .token_audience = "jit-access",
                                      .ca_bundle_pem = tls->ca_pem,
                                      .table = &*table},
                                     {.jwks = std::make_unique<jit::auth::StaticJwksSource>(
                                          std::vector<jit::jwt::JsonWebKey>{session_key->jwk}),
                                      .revocations = std::make_unique<jit::bench::NoRevocations>()},
                                     &clock);
  if (!service_auth.ok()) Die(service_auth.status().ToString());
  // As every service does: the revocation list is loaded, then kept fresh.
  if (absl::Status s = (*service_auth)->StartBackgroundRefresh(); !s.ok()) Die(s.ToString());
  jit::ca::CaServiceImpl ca_service(&issuer, /*revoker=*/nullptr,
                                    /*rotator=*/nullptr,  // not measured
                                    jit::server::AuthorizedCaller((*service_auth)->authorizer()));
  EchoServiceImpl echo_service;

  jit::server::GrpcServerMetrics metrics("ca", registry, clock);
  auto server = jit::server::GrpcServer::Start(
      {.service_name = "ca",
       .listen_address = "127.0.0.1:0",
       .tls = *tls,
       .max_threads = kServerThreads,
       .auth_processor = (*service_auth)->MetadataProcessor()},
      {jit::server::RegisteredService::Of<pb::CaService>(&ca_service),
       jit::server::RegisteredService::Of<eb::EchoService>(&echo_service)},
      &metrics);
  if (!server.ok()) Die(server.status().ToString());

  // A person's CLI: TLS without a client certificate, the bearer token on every call.
  grpc::SslCredentialsOptions client_tls;
  client_tls.pem_root_certs = tls->ca_pem;
  auto channel = grpc::CreateChannel(absl::StrCat("localhost:", (*server)->port()),
                                     grpc::SslCredentials(client_tls));
  auto ca = pb::CaService::NewStub(channel);
  auto echo = eb::EchoService::NewStub(channel);
  const std::string bearer = absl::StrCat("Bearer ", *token);

  auto user_key = jit::ca::testing::NewClientKey("ED25519");
  pb::SignUserSshCertRequest sign;
  sign.set_public_key(jit::ca::testing::SshPublicKeyLine(user_key.get(), "alice@laptop"));
  sign.add_grant_ids("req-1");
  eb::EchoMessage echo_request;
  echo_request.set_payload(sign.SerializeAsString());

  auto run_sign = [&](absl::Duration d) {
    return jit::bench::ClosedLoop<pb::SignUserSshCertResponse>(
        d, kInFlight,
        [&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
          ctx->AddMetadata("authorization", bearer);
          return ca->PrepareAsyncSignUserSshCert(ctx, sign, cq);
        },
        [](const pb::SignUserSshCertResponse& r) { return !r.certificate().empty(); });
  };
  auto run_echo = [&](absl::Duration d) {
    return jit::bench::ClosedLoop<eb::EchoMessage>(
        d, kInFlight,
        [&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
          ctx->AddMetadata("authorization", bearer);
          return echo->PrepareAsyncEcho(ctx, echo_request, cq);
        },
        [&](const eb::EchoMessage& r) {
          return r.payload().size() == echo_request.payload().size();
        });
  };

  run_echo(warmup);
  run_sign(warmup);
  std::vector<double> echo_qps, sign_qps, ratios, echo_cpu, sign_cpu;
  int64_t failures = 0;
  for (int i = 0; i < rounds; ++i) {
    const Rate e = run_echo(round);
    const Rate s = run_sign(round);
    failures += e.failed + s.failed;
    echo_qps.push_back(e.qps);
    sign_qps.push_back(s.qps);
    ratios.push_back(e.qps > 0 ? s.qps / e.qps : 0);
    echo_cpu.push_back(e.cpu_us_per_call);
    sign_cpu.push_back(s.cpu_us_per_call);
    std::printf(
        "round %d: echo %.0f qps (%.1f us CPU/call), SignUserSshCert %.0f qps (%.1f us "
        "CPU/call), ratio %.2f (%d in flight, %s each)\n",
        i + 1, e.qps, e.cpu_us_per_call, s.qps, s.cpu_us_per_call, ratios.back(), kInFlight,
        absl::FormatDuration(round).c_str());
  }
  (*server)->Shutdown(absl::Seconds(5));
  if (failures > 0) Die(absl::StrCat(failures, " calls failed"));
  if (store.count() == 0) Die("no certificate was recorded");

  const double echo_median = Median(echo_qps);
  const double sign_median = Median(sign_qps);
  const double ratio = Median(ratios);
  std::printf("\n%s\n", smoke ? "SMOKE run (figures are indicative only)" : "");
  std::printf(
      "REF grpc_echo measured=%.0fqps (bare echo RPC, same server, TLS + session token, %d in "
      "flight)\n",
      echo_median, kInFlight);
  std::printf("INFO grpc_sign_user_ssh_cert measured=%.0fqps (Ed25519 CA, %lld certificates)\n",
              sign_median, static_cast<long long>(store.count()));
  std::printf("INFO cpu_per_call echo=%.1fus sign_user_ssh_cert=%.1fus\n", Median(echo_cpu),
              Median(sign_cpu));
  std::printf("GOAL grpc_sign_user_ssh_cert_vs_echo measured=%.2fx target=%.1fx %s\n", ratio,
              kTargetRatio, ratio >= kTargetRatio ? "PASS" : "MISS");
  return 0;
}
