#include "common/server/health_server.h"

#include <chrono>
#include <memory>
#include <string>

#include "common/status_matchers.h"
#include "common/testing/raw_call.h"
#include "common/testing/reflection_client.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace jit::server {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

std::shared_ptr<grpc::Channel> PlaintextChannel(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

grpc::Status Check(int port, HealthCheckResponse* response) {
  auto stub = Health::NewStub(PlaintextChannel(port));
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return stub->Check(&ctx, HealthCheckRequest(), response);
}

TEST(HealthServerTest, StartsNotServingAndFollowsSetServing) {
  auto server = HealthServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  HealthCheckResponse response;
  ASSERT_TRUE(Check((*server)->port(), &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  (*server)->SetServing(true);
  ASSERT_TRUE(Check((*server)->port(), &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  (*server)->SetServing(false);
  ASSERT_TRUE(Check((*server)->port(), &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST(HealthServerTest, OffersNoOtherMethodAndNoReflection) {
  // Enabled process-wide, as GrpcServer does for the main port: the health port must not
  // pick it up.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto server = HealthServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  (*server)->SetServing(true);
  auto channel = PlaintextChannel((*server)->port());

  grpc::ClientContext call;
  SetDeadline(call);
  grpc::Status s =
      jit::testing::RawUnaryCall(*channel, "/jit.policy.v1.PolicyService/GetRole", "", &call);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);

  grpc::ClientContext reflection;
  SetDeadline(reflection);
  EXPECT_THAT(jit::testing::ListServicesByReflection(channel, reflection),
              StatusIs(absl::StatusCode::kUnimplemented));
}

TEST(HealthServerTest, BusyPortIsUnavailableNamingTheFlag) {
  auto first = HealthServer::Start("127.0.0.1:0");
  ASSERT_THAT(first, IsOk());
  const std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HealthServer::Start(address);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("health_addr"));
}

TEST(HealthServerTest, ShutdownIsIdempotentAndClosesThePort) {
  auto server = HealthServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  const int port = (*server)->port();
  (*server)->Shutdown();
  (*server)->Shutdown();
  HealthCheckResponse response;
  auto stub = Health::NewStub(PlaintextChannel(port));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_EQ(stub->Check(&ctx, HealthCheckRequest(), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace jit::server
