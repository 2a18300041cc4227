#include "common/server/grpc_server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/grpc_limits.h"
#include "common/jwt/session_token.h"
#include "common/server/metrics.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "common/testing/raw_call.h"
#include "common/testing/reflection_client.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "prometheus/text_serializer.h"

namespace jit::server {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::jit::policy::v1::PolicyService;
using ::jit::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;

// GetRole blocks until released, so tests can hold a call in flight.
class BlockingPolicyService final : public PolicyService::Service {
 public:
  grpc::Status GetRole(grpc::ServerContext*, const jit::policy::v1::GetRoleRequest* request,
                       jit::common::v1::Role* response) override {
    entered_.Notify();
    release_.WaitForNotification();
    response->mutable_metadata()->set_name(request->name());
    return grpc::Status::OK;
  }
  absl::Notification entered_;
  absl::Notification release_;
};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tls = LoadTlsMaterial(jit::testing::TestTlsFiles("server"));
    ASSERT_THAT(tls, IsOk());
    metrics_ = std::make_unique<GrpcServerMetrics>("test", *registry_, clock_);
    GrpcServerOptions options{.service_name = "test", .listen_address = "127.0.0.1:0", .tls = *tls};
    auto server = GrpcServer::Start(options, {RegisteredService::Of<PolicyService>(&service_)},
                                    metrics_.get());
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  std::shared_ptr<grpc::Channel> Channel(const TlsFiles& files) {
    auto tls = LoadTlsMaterial(files);
    EXPECT_THAT(tls, IsOk());
    return grpc::CreateChannel("localhost:" + std::to_string(server_->port()),
                               MakeChannelCredentials(*tls));
  }

  std::shared_ptr<grpc::Channel> ClientChannel() {
    return Channel(jit::testing::TestTlsFiles("client"));
  }

  grpc::Status CheckHealth(const std::string& service, HealthCheckResponse* response) {
    auto stub = Health::NewStub(ClientChannel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    return stub->Check(&ctx, request, response);
  }

  std::string ScrapeText() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  FakeClock clock_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<GrpcServerMetrics> metrics_;
  BlockingPolicyService service_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(GrpcServerTest, HealthReportsServingForServerAndEachService) {
  HealthCheckResponse response;
  ASSERT_TRUE(CheckHealth("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(CheckHealth("jit.policy.v1.PolicyService", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  server_->SetServing(false);
  ASSERT_TRUE(CheckHealth("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(GrpcServerTest, UnknownHealthServiceIsNotFound) {
  HealthCheckResponse response;
  EXPECT_EQ(CheckHealth("jit.nope.v1.Nope", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A call carrying the largest session token auth issues reaches its handler (gRPC's default
// 8 KiB metadata limit refused it: "received initial metadata size exceeds limit").
TEST_F(GrpcServerTest, LargestSessionTokenHeaderIsAccepted) {
  auto stub = PolicyService::NewStub(ClientChannel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + std::string(jwt::kMaxSessionTokenBytes, 'a'));
  jit::policy::v1::ListRolesResponse response;
  EXPECT_EQ(stub->ListRoles(&ctx, {}, &response).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(GrpcServerTest, MetadataOverTheProjectLimitIsRefused) {
  auto stub = PolicyService::NewStub(ClientChannel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + std::string(kMaxGrpcMetadataBytes, 'a'));
  jit::policy::v1::ListRolesResponse response;
  const grpc::Status status = stub->ListRoles(&ctx, {}, &response);
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_code(), grpc::StatusCode::OK);
}

TEST_F(GrpcServerTest, UnimplementedMethodIsCountedByMethodAndCode) {
  auto stub = PolicyService::NewStub(ClientChannel());
  grpc::ClientContext ctx;
  jit::policy::v1::ListRolesResponse response;
  grpc::Status status = stub->ListRoles(&ctx, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);

  const std::string text = ScrapeText();
  EXPECT_THAT(text, HasSubstr("jit_test_grpc_server_handled_total{code=\"UNIMPLEMENTED\","
                              "method=\"/jit.policy.v1.PolicyService/ListRoles\"} 1"));
  EXPECT_THAT(text, HasSubstr("jit_test_grpc_server_started_total{"
                              "method=\"/jit.policy.v1.PolicyService/ListRoles\"} 1"));
  EXPECT_THAT(text, HasSubstr("jit_test_grpc_server_handling_seconds_count{"
                              "method=\"/jit.policy.v1.PolicyService/ListRoles\"} 1"));
}

TEST_F(GrpcServerTest, UndecodableRequestIsInvalidArgumentAndCountedSo) {
  auto channel = ClientChannel();
  const std::string method = "/jit.policy.v1.PolicyService/GetRole";
  for (const std::string& bytes :
       {std::string("\xff\xff\xff\xff"),                              // not a protobuf
        jit::testing::EncodeStringField(1, "\xff\xfe bad utf-8")}) {  // name: not UTF-8
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = jit::testing::RawUnaryCall(*channel, method, bytes, &ctx);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("request could not be decoded"));
  }
  EXPECT_THAT(ScrapeText(),
              HasSubstr("jit_test_grpc_server_handled_total{code=\"INVALID_ARGUMENT\","
                        "method=\"/jit.policy.v1.PolicyService/GetRole\"} 2"));
}

TEST_F(GrpcServerTest, PlaintextClientIsRefused) {
  auto channel = grpc::CreateChannel("localhost:" + std::to_string(server_->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckResponse response;
  EXPECT_EQ(stub->Check(&ctx, {}, &response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcServerTest, ClientCertificateFromForeignCaIsRefused) {
  auto stub = Health::NewStub(Channel(jit::testing::ForeignTlsFiles()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckResponse response;
  EXPECT_EQ(stub->Check(&ctx, {}, &response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcServerTest, ReflectionListsRegisteredServices) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> names,
                       jit::testing::ListServicesByReflection(ClientChannel(), ctx));
  EXPECT_THAT(names, Contains("jit.policy.v1.PolicyService"));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));
}

TEST_F(GrpcServerTest, ShutdownDrainsCallsInFlightAndRefusesNewOnes) {
  auto channel = ClientChannel();
  auto stub = PolicyService::NewStub(channel);
  grpc::Status in_flight_status;
  jit::common::v1::Role role;
  std::thread in_flight([&] {
    grpc::ClientContext ctx;
    jit::policy::v1::GetRoleRequest request;
    request.set_name("dba");
    in_flight_status = stub->GetRole(&ctx, request, &role);
  });
  service_.entered_.WaitForNotification();

  std::thread shutdown([&] { server_->Shutdown(absl::Seconds(30)); });
  // The server stops accepting new calls while the first one is still running.
  grpc::Status late;
  for (int i = 0; i < 1000; ++i) {
    auto fresh = Health::NewStub(grpc::CreateChannel(
        "localhost:" + std::to_string(server_->port()),
        MakeChannelCredentials(*LoadTlsMaterial(jit::testing::TestTlsFiles("client")))));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckResponse response;
    late = fresh->Check(&ctx, {}, &response);
    if (!late.ok() || response.status() != HealthCheckResponse::SERVING) break;
  }
  service_.release_.Notify();
  in_flight.join();
  shutdown.join();

  EXPECT_TRUE(in_flight_status.ok()) << in_flight_status.error_message();
  EXPECT_EQ(role.metadata().name(), "dba");
  EXPECT_FALSE(late.ok() && late.error_code() == grpc::StatusCode::OK);
}

TEST(GrpcServerStartTest, AddressInUseIsUnavailable) {
  auto tls = LoadTlsMaterial(jit::testing::TestTlsFiles("server"));
  ASSERT_THAT(tls, IsOk());
  GrpcServerOptions options{.service_name = "a", .listen_address = "127.0.0.1:0", .tls = *tls};
  auto first = GrpcServer::Start(options, {}, nullptr);
  ASSERT_THAT(first, IsOk());
  options.listen_address = "127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_THAT(GrpcServer::Start(options, {}, nullptr),
              jit::testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("listen_addr")));
}

TEST(MethodNamesTest, ListsMethodsOfGeneratedService) {
  EXPECT_THAT(MethodNamesOf("jit.policy.v1.PolicyService"),
              Contains("/jit.policy.v1.PolicyService/CheckAccess"));
  EXPECT_TRUE(MethodNamesOf("jit.nope.v1.Nope").empty());
}

}  // namespace
}  // namespace jit::server
