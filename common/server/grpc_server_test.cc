#include "common/server/grpc_server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/server/metrics.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
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
    GrpcServerOptions options{.service_name = "test",
                              .listen_address = "127.0.0.1:0",
                              .tls = *tls};
    auto server = GrpcServer::Start(
        options, {RegisteredService::Of<PolicyService>(&service_)}, metrics_.get());
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

  std::string ScrapeText() {
    return prometheus::TextSerializer().Serialize(registry_->Collect());
  }

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
  EXPECT_EQ(CheckHealth("jit.nope.v1.Nope", &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
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

// Lists services through the reflection protocol, encoding the request by hand
// (ServerReflectionRequest.list_services = field 7) and decoding the response generically
// (ServerReflectionResponse.list_services_response = 6 -> service = 1 -> name = 1).
std::vector<std::string> ReflectionListServices(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::GenericStub stub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  std::vector<std::string> names;
  if (!ok) return names;
  std::vector<grpc::Slice> slices;
  (void)reply.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  google::protobuf::UnknownFieldSet response;
  response.ParseFromString(bytes);
  for (int i = 0; i < response.field_count(); ++i) {
    const auto& f = response.field(i);
    if (f.number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    list.ParseFromString(f.length_delimited());
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      service.ParseFromString(list.field(j).length_delimited());
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return names;
}

TEST_F(GrpcServerTest, ReflectionListsRegisteredServices) {
  const std::vector<std::string> names = ReflectionListServices(ClientChannel());
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
