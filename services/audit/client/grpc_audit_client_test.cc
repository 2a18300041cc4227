// GrpcAuditClient against an AuditService double on a real TLS server.
#include "services/audit/client/grpc_audit_client.h"

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/grpc_server.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::audit {
namespace {

using ::jit::testing::StatusIs;

// Accepts batches of events with ids; counts a repeated id as a duplicate.
class AuditDouble final : public v1::AuditService::Service {
 public:
  grpc::Status IngestEvents(grpc::ServerContext*, const v1::IngestEventsRequest* rq,
                            v1::IngestEventsResponse* reply) override {
    for (const auto& e : rq->events()) {
      if (e.id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id");
    }
    for (const auto& e : rq->events()) {
      if (seen_.insert(e.id()).second) {
        reply->set_accepted(reply->accepted() + 1);
      } else {
        reply->set_duplicates(reply->duplicates() + 1);
      }
    }
    reply->set_last_sequence(static_cast<int64_t>(seen_.size()));
    return grpc::Status::OK;
  }

 private:
  std::set<std::string> seen_;  // one client thread in these tests
};

class GrpcAuditClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server::TlsMaterial tls,
                         server::LoadTlsMaterial(jit::testing::TestTlsFiles("audit")));
    ASSERT_OK_AND_ASSIGN(server_,
                         server::GrpcServer::Start(
                             {.service_name = "audit", .listen_address = "127.0.0.1:0", .tls = tls},
                             {server::RegisteredService::Of<v1::AuditService>(&audit_)}, nullptr));
    ASSERT_OK_AND_ASSIGN(auth_tls_, server::LoadTlsMaterial(jit::testing::TestTlsFiles("auth")));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  AuditDouble audit_;
  std::unique_ptr<server::GrpcServer> server_;
  server::TlsMaterial auth_tls_;
};

TEST_F(GrpcAuditClientTest, IngestEventsReturnsTheSinksAnswer) {
  client::PeerClient peer("audit", absl::StrCat("localhost:", server_->port()), auth_tls_,
                          absl::Seconds(5));
  GrpcAuditClient client(&peer);
  v1::IngestEventsRequest batch;
  batch.add_events()->set_id("e1");
  batch.add_events()->set_id("e2");
  ASSERT_OK_AND_ASSIGN(v1::IngestEventsResponse first, client.IngestEvents(batch));
  EXPECT_EQ(first.accepted(), 2);
  ASSERT_OK_AND_ASSIGN(v1::IngestEventsResponse again, client.IngestEvents(batch));
  EXPECT_EQ(again.duplicates(), 2);
  v1::IngestEventsRequest bad;
  bad.add_events();
  EXPECT_THAT(client.IngestEvents(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(GrpcAuditClientTest, AuditDownIsUnavailable) {
  client::PeerClient nowhere("audit", absl::StrCat("localhost:", jit::testing::PickUnusedPort()),
                             auth_tls_, absl::Seconds(2));
  GrpcAuditClient client(&nowhere);
  EXPECT_THAT(client.IngestEvents({}), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::audit
