#include "common/client/peer_credentials.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/grpc_server.h"
#include "common/status_matchers.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace jit::client {
namespace {

using ::grpc::health::v1::Health;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(CheckPeerServiceIdentityTest, AcceptsTheExpectedService) {
  EXPECT_THAT(CheckPeerServiceIdentity("auth", {"spiffe://jit-access/service/auth"}), IsOk());
}

TEST(CheckPeerServiceIdentityTest, RefusesAnotherServiceNamingBoth) {
  EXPECT_THAT(CheckPeerServiceIdentity("auth", {"spiffe://jit-access/service/policy"}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "peer identity mismatch: expected spiffe://jit-access/service/auth, "
                       "found spiffe://jit-access/service/policy"));
}

TEST(CheckPeerServiceIdentityTest, RefusesACertificateWithoutAnIdentity) {
  EXPECT_THAT(
      CheckPeerServiceIdentity("auth", {}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("found no jit-access SPIFFE ID")));
}

TEST(CheckPeerServiceIdentityTest, RefusesTwoIdentitiesEvenIfOneMatches) {
  EXPECT_THAT(CheckPeerServiceIdentity("auth", {"spiffe://jit-access/service/auth",
                                                "spiffe://jit-access/service/policy"}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("found spiffe://jit-access/service/auth and "
                                 "spiffe://jit-access/service/policy")));
}

TEST(CheckPeerServiceIdentityTest, RefusesAUserIdentity) {
  EXPECT_THAT(CheckPeerServiceIdentity("auth", {"spiffe://jit-access/user/auth"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(CheckPeerServiceIdentityTest, RefusesTheServiceNameInAnotherTrustDomain) {
  EXPECT_THAT(
      CheckPeerServiceIdentity("auth", {"spiffe://elsewhere/service/auth"}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("found no jit-access SPIFFE ID")));
}

TEST(CheckPeerServiceIdentityTest, IgnoresOtherUris) {
  EXPECT_THAT(CheckPeerServiceIdentity(
                  "auth", {"https://auth.example.com", "spiffe://jit-access/service/auth"}),
              IsOk());
}

TEST(CheckPeerServiceIdentityTest, InvalidExpectedNameMatchesNothing) {
  EXPECT_THAT(CheckPeerServiceIdentity("Auth", {"spiffe://jit-access/service/Auth"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CheckPeerServiceIdentity("", {"spiffe://jit-access/service/"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// Health checks over PeerChannelCredentials against a real TLS server.
class PeerChannelCredentialsTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& pki_name, const std::string& listen_host) {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles(pki_name));
    ASSERT_THAT(tls, IsOk());
    auto server = server::GrpcServer::Start(
        {.service_name = "test", .listen_address = listen_host + ":0", .tls = *tls}, {}, nullptr);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  grpc::Status Check(const std::string& host, const std::string& service) {
    auto tls = server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
    EXPECT_THAT(tls, IsOk());
    auto stub = Health::NewStub(
        grpc::CreateChannel(absl::StrCat(host, ":", server_->port()),
                            PeerChannelCredentials(tls.value_or(server::TlsMaterial{}), service)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&ctx, {}, &response);
  }

  std::unique_ptr<server::GrpcServer> server_;
};

TEST_F(PeerChannelCredentialsTest, ReachesTheExpectedServiceByIpAddress) {
  StartServer("ca", "127.0.0.1");
  EXPECT_TRUE(Check("127.0.0.1", "ca").ok());
}

TEST_F(PeerChannelCredentialsTest, HostNotNamedInTheCertificateIsRefused) {
  // The test certificates name localhost and 127.0.0.1 only; 127.0.0.2 is loopback too.
  StartServer("ca", "127.0.0.2");
  const grpc::Status status = Check("127.0.0.2", "ca");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("Hostname Verification"), Not(HasSubstr(kPeerIdentityMismatch))));
}

TEST_F(PeerChannelCredentialsTest, WrongServiceIsRefusedWithBothIdentities) {
  StartServer("requests", "127.0.0.1");
  const grpc::Status status = Check("localhost", "ca");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(),
              HasSubstr("peer identity mismatch: expected spiffe://jit-access/service/ca, "
                        "found spiffe://jit-access/service/requests"));
}

}  // namespace
}  // namespace jit::client
