#include "common/client/peer.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/peer_certificate_verifier.h"
#include "common/client/peer_credentials.h"
#include "common/clock.h"
#include "common/server/grpc_server.h"
#include "common/status_matchers.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"

namespace jit::client {
namespace {

using ::grpc::health::v1::Health;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

server::TlsMaterial LoadTls(const server::TlsFiles& files) {
  auto tls = server::LoadTlsMaterial(files);
  EXPECT_THAT(tls, IsOk());
  return tls.value_or(server::TlsMaterial{});
}

server::TlsMaterial ClientTls() { return LoadTls(jit::testing::TestTlsFiles("client")); }

// An auth service whose GetJwks records who called it (the caller's SPIFFE ID, as
// jit-access servers establish it from the client certificate).
class RecordingAuth final : public jit::auth::v1::AuthService::Service {
 public:
  RecordingAuth() {
    auto verifier = jit::auth::PeerCertificateVerifier::Create(
        LoadTls(jit::testing::TestTlsFiles("client")).ca_pem, &RealClock::Get());
    EXPECT_THAT(verifier, IsOk());
    if (verifier.ok()) verifier_ = *std::move(verifier);
  }

  grpc::Status GetJwks(grpc::ServerContext* context, const jit::auth::v1::GetJwksRequest*,
                       jit::auth::v1::GetJwksResponse*) override {
    std::string caller = "(no client certificate)";
    const auto pem = context->auth_context()->FindPropertyValues("x509_pem_cert");
    if (!pem.empty() && verifier_ != nullptr) {
      absl::StatusOr<jit::auth::PeerIdentity> id =
          verifier_->Verify(std::string_view(pem[0].data(), pem[0].size()));
      caller = id.ok() ? id->spiffe_uri : std::string(id.status().message());
    }
    absl::MutexLock lock(&mu_);
    callers_.push_back(caller);
    return grpc::Status::OK;
  }

  std::vector<std::string> callers() {
    absl::MutexLock lock(&mu_);
    return callers_;
  }

 private:
  std::unique_ptr<jit::auth::PeerCertificateVerifier> verifier_;
  absl::Mutex mu_;
  std::vector<std::string> callers_ ABSL_GUARDED_BY(mu_);
};

// A server presenting the certificate `server_tls`, serving RecordingAuth.
class PeerIdentityTest : public ::testing::Test {
 protected:
  void StartServer(const server::TlsFiles& server_tls) {
    auto server = server::GrpcServer::Start(
        {.service_name = "test", .listen_address = "127.0.0.1:0", .tls = LoadTls(server_tls)},
        {server::RegisteredService::Of<jit::auth::v1::AuthService>(&auth_)}, nullptr);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  std::string Address() const { return absl::StrCat("localhost:", server_->port()); }

  absl::Status CallGetJwks(const PeerClient& peer) {
    auto stub = jit::auth::v1::AuthService::NewStub(peer.channel());
    auto ctx = peer.NewContext();
    jit::auth::v1::GetJwksResponse response;
    return peer.ToStatus(stub->GetJwks(ctx.get(), {}, &response));
  }

  RecordingAuth auth_;
  std::unique_ptr<server::GrpcServer> server_;
};

TEST_F(PeerIdentityTest, ReachesThePeerItNames) {
  StartServer(jit::testing::TestTlsFiles("auth"));
  PeerClient peer("auth", Address(), ClientTls(), absl::Seconds(10));
  EXPECT_THAT(CallGetJwks(peer), IsOk());
  EXPECT_THAT(auth_.callers(), ElementsAre("spiffe://jit-access/service/client"));
}

TEST_F(PeerIdentityTest, AnotherServicesCertificateIsRefusedBeforeTheCallIsSent) {
  StartServer(jit::testing::TestTlsFiles("policy"));
  PeerClient peer("auth", Address(), ClientTls(), absl::Seconds(10));
  EXPECT_THAT(CallGetJwks(peer),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("auth service at " + Address()),
                             HasSubstr("expected spiffe://jit-access/service/auth"),
                             HasSubstr("found spiffe://jit-access/service/policy"))));
  EXPECT_THAT(auth_.callers(), IsEmpty());
}

TEST_F(PeerIdentityTest, CertificateFromAForeignCaIsRefusedEvenWithTheRightName) {
  // The foreign certificate names "intruder"; only its chain is wrong.
  StartServer(jit::testing::ForeignTlsFiles());
  PeerClient peer("intruder", Address(), ClientTls(), absl::Seconds(10));
  EXPECT_THAT(CallGetJwks(peer), StatusIs(absl::StatusCode::kUnavailable,
                                          AllOf(HasSubstr("intruder service unavailable"),
                                                Not(HasSubstr(kPeerIdentityMismatch)))));
  EXPECT_THAT(auth_.callers(), IsEmpty());
}

TEST(PeerClientTest, ReachesARunningPeerOverMtls) {
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("policy"));
  ASSERT_THAT(tls, IsOk());
  auto server = server::GrpcServer::Start(
      {.service_name = "p", .listen_address = "127.0.0.1:0", .tls = *tls}, {}, nullptr);
  ASSERT_THAT(server, IsOk());
  PeerClient peer("policy", "localhost:" + std::to_string((*server)->port()), ClientTls(),
                  absl::Seconds(10));
  auto stub = Health::NewStub(peer.channel());
  auto ctx = peer.NewContext();
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_THAT(peer.ToStatus(stub->Check(ctx.get(), {}, &response)), IsOk());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(PeerClientTest, PeerThatIsDownIsUnavailableNamingIt) {
  // Bind and release a port so nothing listens there.
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("audit"));
  ASSERT_THAT(tls, IsOk());
  int port = 0;
  {
    auto server = server::GrpcServer::Start(
        {.service_name = "p", .listen_address = "127.0.0.1:0", .tls = *tls}, {}, nullptr);
    ASSERT_THAT(server, IsOk());
    port = (*server)->port();
  }
  PeerClient peer("audit", "localhost:" + std::to_string(port), ClientTls(), absl::Seconds(5));
  auto stub = Health::NewStub(peer.channel());
  auto ctx = peer.NewContext();
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_THAT(peer.ToStatus(stub->Check(ctx.get(), {}, &response)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("audit service unavailable")));
}

// Two replicas of auth behind one PeerClient ("localhost:a,localhost:b"): calls are spread
// over both; with one of them gone, every call still succeeds (the channel leaves the dead
// replica, and an idempotent call that met it is retried on the other).
TEST(PeerClientReplicasTest, SpreadsCallsAndSurvivesLosingAReplica) {
  RecordingAuth first, second;
  const server::TlsMaterial tls = LoadTls(jit::testing::TestTlsFiles("auth"));
  auto a = server::GrpcServer::Start(
      {.service_name = "a", .listen_address = "127.0.0.1:0", .tls = tls},
      {server::RegisteredService::Of<jit::auth::v1::AuthService>(&first)}, nullptr);
  auto b = server::GrpcServer::Start(
      {.service_name = "b", .listen_address = "127.0.0.1:0", .tls = tls},
      {server::RegisteredService::Of<jit::auth::v1::AuthService>(&second)}, nullptr);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  PeerClient peer("auth", absl::StrCat("localhost:", (*a)->port(), ",localhost:", (*b)->port()),
                  ClientTls(), absl::Seconds(10));
  auto stub = jit::auth::v1::AuthService::NewStub(peer.channel());
  auto call = [&] {
    jit::auth::v1::GetJwksResponse response;
    return peer.ToStatus(stub->GetJwks(peer.NewContext().get(), {}, &response));
  };
  // Round robin picks among the replicas that are connected: once both are, calls alternate.
  // A replica still connecting gets none yet, so call until both have served 5 (or give up).
  int calls = 0;
  while ((first.callers().size() < 5 || second.callers().size() < 5) && calls < 2000) {
    ASSERT_THAT(call(), IsOk()) << "call " << calls;
    ++calls;
  }
  EXPECT_GE(first.callers().size(), 5u);
  EXPECT_GE(second.callers().size(), 5u);

  (*a)->Shutdown(absl::ZeroDuration());
  a->reset();
  const size_t before = second.callers().size();
  for (int i = 0; i < 20; ++i) EXPECT_THAT(call(), IsOk()) << "call " << i << " after the loss";
  EXPECT_EQ(second.callers().size(), before + 20);
}

// A dns:/// target (a Kubernetes headless Service) reaches the peer and checks its name.
TEST(PeerClientReplicasTest, DnsTargetReachesThePeer) {
  RecordingAuth auth;
  auto server = server::GrpcServer::Start(
      {.service_name = "a",
       .listen_address = "127.0.0.1:0",
       .tls = LoadTls(jit::testing::TestTlsFiles("auth"))},
      {server::RegisteredService::Of<jit::auth::v1::AuthService>(&auth)}, nullptr);
  ASSERT_THAT(server, IsOk());
  PeerClient peer("auth", absl::StrCat("dns:///localhost:", (*server)->port()), ClientTls(),
                  absl::Seconds(10));
  auto stub = jit::auth::v1::AuthService::NewStub(peer.channel());
  jit::auth::v1::GetJwksResponse response;
  EXPECT_THAT(peer.ToStatus(stub->GetJwks(peer.NewContext().get(), {}, &response)), IsOk());
  EXPECT_THAT(auth.callers(), ElementsAre("spiffe://jit-access/service/client"));
}

TEST(PeerClientReplicasTest, TargetsAndRetryPolicy) {
  // One address: unchanged (pick_first, no service config).
  EXPECT_EQ(PeerTargetFor("auth", "localhost:7101").target, "localhost:7101");
  // A list: resolved to IPv4 once, round robin.
  EXPECT_EQ(PeerTargetFor("auth", "localhost:7101, 127.0.0.1:7111").target,
            "ipv4:127.0.0.1:7101,127.0.0.1:7111");
  EXPECT_EQ(PeerTargetFor("auth", "dns:///auth-headless:7101").target, "dns:///auth-headless:7101");
  // Only idempotent methods are retried.
  const std::string config = IdempotentRetryServiceConfig("jit.auth.v1.AuthService");
  EXPECT_THAT(config, HasSubstr(R"("method":"GetJwks")"));
  EXPECT_THAT(config, HasSubstr(R"("method":"ListRevokedSessions")"));
  EXPECT_THAT(config, HasSubstr(R"("method":"WhoAmI")"));
  EXPECT_THAT(config, Not(HasSubstr(R"("method":"Login")")));
  EXPECT_THAT(config, Not(HasSubstr(R"("method":"CreateUser")")));
  EXPECT_THAT(config, HasSubstr("round_robin"));
  EXPECT_EQ(IdempotentRetryServiceConfig("jit.nothing.v1.NothingService"), "");
}

TEST(PeerClientTest, DeadlineExceededMapsToUnavailable) {
  PeerClient peer("ca", "localhost:1", ClientTls(), absl::Seconds(1));
  EXPECT_THAT(peer.ToStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("ca service unavailable")));
  EXPECT_THAT(peer.ToStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(peer.ToStatus(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "who")),
              StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace jit::client
