// GrpcRequestsClient against a RequestsService double on a real TLS server.
#include "services/requests/client/grpc_requests_client.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/server/grpc_server.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::requests {
namespace {

using ::jit::testing::StatusIs;

// One grant per id asked for, owned by the user asked for.
class RequestsDouble final : public v1::RequestsService::Service {
 public:
  grpc::Status ListActiveGrants(grpc::ServerContext*, const v1::ListActiveGrantsRequest* rq,
                                v1::ListActiveGrantsResponse* reply) override {
    if (rq->user().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user");
    for (const std::string& id : rq->ids()) {
      jit::common::v1::Grant* grant = reply->add_grants();
      grant->set_id(id);
      grant->set_user(rq->user());
    }
    return grpc::Status::OK;
  }
};

class GrpcRequestsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server::TlsMaterial tls,
                         server::LoadTlsMaterial(jit::testing::TestTlsFiles("requests")));
    ASSERT_OK_AND_ASSIGN(
        server_, server::GrpcServer::Start(
                     {.service_name = "requests", .listen_address = "127.0.0.1:0", .tls = tls},
                     {server::RegisteredService::Of<v1::RequestsService>(&requests_)}, nullptr));
    ASSERT_OK_AND_ASSIGN(ca_tls_, server::LoadTlsMaterial(jit::testing::TestTlsFiles("ca")));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  RequestsDouble requests_;
  std::unique_ptr<server::GrpcServer> server_;
  server::TlsMaterial ca_tls_;
};

TEST_F(GrpcRequestsClientTest, ListActiveGrantsReturnsTheServicesAnswer) {
  client::PeerClient peer("requests", absl::StrCat("localhost:", server_->port()), ca_tls_,
                          absl::Seconds(5));
  GrpcRequestsClient client(&peer);
  v1::ListActiveGrantsRequest request;
  request.set_user("alice");
  request.add_ids("g1");
  request.add_ids("g2");
  ASSERT_OK_AND_ASSIGN(v1::ListActiveGrantsResponse response, client.ListActiveGrants(request));
  ASSERT_EQ(response.grants_size(), 2);
  EXPECT_EQ(response.grants(1).id(), "g2");
  EXPECT_EQ(response.grants(1).user(), "alice");
  EXPECT_THAT(client.ListActiveGrants({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(GrpcRequestsClientTest, RequestsDownIsUnavailable) {
  client::PeerClient nowhere("requests", absl::StrCat("localhost:", jit::testing::PickUnusedPort()),
                             ca_tls_, absl::Seconds(2));
  GrpcRequestsClient client(&nowhere);
  EXPECT_THAT(client.ListActiveGrants({}), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::requests
