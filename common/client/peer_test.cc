#include "common/client/peer.h"

#include "common/server/grpc_server.h"
#include "common/status_matchers.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace jit::client {
namespace {

using ::grpc::health::v1::Health;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

server::TlsMaterial ClientTls() {
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
  EXPECT_THAT(tls, IsOk());
  return *tls;
}

TEST(PeerClientTest, ReachesARunningPeerOverMtls) {
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("server"));
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
  auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("server"));
  ASSERT_THAT(tls, IsOk());
  int port = 0;
  {
    auto server = server::GrpcServer::Start(
        {.service_name = "p", .listen_address = "127.0.0.1:0", .tls = *tls}, {}, nullptr);
    ASSERT_THAT(server, IsOk());
    port = (*server)->port();
  }
  PeerClient peer("audit", "localhost:" + std::to_string(port), ClientTls(),
                  absl::Seconds(5));
  auto stub = Health::NewStub(peer.channel());
  auto ctx = peer.NewContext();
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_THAT(peer.ToStatus(stub->Check(ctx.get(), {}, &response)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("audit service unavailable")));
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
