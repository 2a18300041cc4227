// UnaryHandler inside a real adapter on a TLS server: which method's caller is asked for,
// what the logic sees, and how each shape of result reaches the client.
#include "common/server/unary_handler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/server/grpc_server.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"

namespace jit::server {
namespace {

namespace pb = ::jit::auth::v1;
using ::jit::common::v1::Identity;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The caller named by "x-test-user" metadata; every lookup is recorded.
class TestCallers {
 public:
  CallerIdentityFn Fn() {
    return [this](const grpc::ServerContext& context,
                  std::string_view method) -> absl::StatusOr<Identity> {
      absl::MutexLock lock(&mu_);
      methods_.emplace_back(method);
      const auto user = context.client_metadata().find("x-test-user");
      if (user == context.client_metadata().end()) {
        return absl::UnauthenticatedError("no test caller");
      }
      Identity id;
      id.set_kind(Identity::KIND_USER);
      id.set_name(std::string(user->second.data(), user->second.size()));
      id.set_session_id("s-1");
      return id;
    };
  }
  std::vector<std::string> methods() {
    absl::MutexLock lock(&mu_);
    return methods_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> methods_ ABSL_GUARDED_BY(mu_);
};

// Four methods, one per shape of logic.
class Adapter final : public pb::AuthService::Service {
 public:
  explicit Adapter(CallerIdentityFn callers)
      : handler_(UnaryHandler::For<pb::AuthService>(std::move(callers))) {}

  // (const Caller&) -> StatusOr<Reply>
  grpc::Status WhoAmI(grpc::ServerContext* ctx, const pb::WhoAmIRequest*,
                      pb::WhoAmIResponse* reply) override {
    return handler_.Run(*ctx, __func__, reply,
                        [&](const Caller& caller) -> absl::StatusOr<pb::WhoAmIResponse> {
                          absl::MutexLock lock(&mu_);
                          last_actor_ = caller.actor;
                          pb::WhoAmIResponse out;
                          *out.mutable_identity() = caller.identity;
                          return out;
                        });
  }
  // () -> StatusOr<Reply>: the caller is not looked up.
  grpc::Status GetJwks(grpc::ServerContext* ctx, const pb::GetJwksRequest*,
                       pb::GetJwksResponse* reply) override {
    return handler_.Run(*ctx, __func__, reply, [&]() -> absl::StatusOr<pb::GetJwksResponse> {
      if (fail_.load()) return absl::InternalError("SELECT secret_column FROM keys failed");
      pb::GetJwksResponse out;
      out.add_keys()->set_kid("k1");
      return out;
    });
  }
  // (const Caller&) -> Status
  grpc::Status Logout(grpc::ServerContext* ctx, const pb::LogoutRequest* request,
                      pb::LogoutResponse* reply) override {
    return handler_.Run(*ctx, __func__, reply, [&](const Caller&) -> absl::Status {
      if (request->session_id() == "other") return absl::PermissionDeniedError("not yours");
      return absl::OkStatus();
    });
  }
  // (Reply*) -> Status, filled in place.
  grpc::Status ListRevokedSessions(grpc::ServerContext* ctx,
                                   const pb::ListRevokedSessionsRequest* request,
                                   pb::ListRevokedSessionsResponse* reply) override {
    return handler_.Run(*ctx, __func__, reply, [&](pb::ListRevokedSessionsResponse* out) {
      out->set_cursor(42);
      if (request->after_cursor() < 0) return absl::InvalidArgumentError("after_cursor: negative");
      return absl::OkStatus();
    });
  }

  audit::AuditActor last_actor() {
    absl::MutexLock lock(&mu_);
    return last_actor_;
  }
  std::atomic<bool> fail_{false};

 private:
  const UnaryHandler handler_;
  absl::Mutex mu_;
  audit::AuditActor last_actor_ ABSL_GUARDED_BY(mu_);
};

class UnaryHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TlsMaterial tls, LoadTlsMaterial(jit::testing::TestTlsFiles("auth")));
    ASSERT_OK_AND_ASSIGN(
        server_,
        GrpcServer::Start({.service_name = "auth", .listen_address = "127.0.0.1:0", .tls = tls},
                          {RegisteredService::Of<pb::AuthService>(&adapter_)}, nullptr));
    ASSERT_OK_AND_ASSIGN(TlsMaterial client, LoadTlsMaterial(jit::testing::TestTlsFiles("client")));
    stub_ = pb::AuthService::NewStub(grpc::CreateChannel(
        absl::StrCat("localhost:", server_->port()), MakeChannelCredentials(client)));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }
  std::unique_ptr<grpc::ClientContext> As(const std::string& user) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!user.empty()) ctx->AddMetadata("x-test-user", user);
    return ctx;
  }

  TestCallers callers_;
  Adapter adapter_{callers_.Fn()};
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<pb::AuthService::Stub> stub_;
};

TEST_F(UnaryHandlerTest, TheCallerIsAskedForTheFullNameOfTheHandlersOwnMethod) {
  pb::WhoAmIResponse who;
  pb::LogoutResponse out;
  pb::LogoutRequest logout;
  ASSERT_TRUE(stub_->WhoAmI(As("alice").get(), {}, &who).ok());
  ASSERT_TRUE(stub_->Logout(As("alice").get(), logout, &out).ok());
  EXPECT_THAT(callers_.methods(),
              ElementsAre("/jit.auth.v1.AuthService/WhoAmI", "/jit.auth.v1.AuthService/Logout"));
}

TEST_F(UnaryHandlerTest, TheLogicSeesTheIdentityAndTheAuditActor) {
  pb::WhoAmIResponse who;
  ASSERT_TRUE(stub_->WhoAmI(As("alice").get(), {}, &who).ok());
  EXPECT_EQ(who.identity().name(), "alice");
  const audit::AuditActor actor = adapter_.last_actor();
  EXPECT_EQ(actor.actor, "user:alice");
  EXPECT_EQ(actor.session_id, "s-1");
  EXPECT_THAT(actor.remote_addr, HasSubstr("127.0.0.1"));
}

TEST_F(UnaryHandlerTest, ARefusedCallerEndsTheCallWithItsCodeBeforeTheLogic) {
  pb::WhoAmIResponse who;
  const grpc::Status status = stub_->WhoAmI(As("").get(), {}, &who);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "no test caller");
  EXPECT_EQ(adapter_.last_actor().actor, "");
}

TEST_F(UnaryHandlerTest, LogicWithoutACallerDoesNotLookItUp) {
  pb::GetJwksResponse jwks;
  ASSERT_TRUE(stub_->GetJwks(As("").get(), {}, &jwks).ok());
  EXPECT_EQ(jwks.keys(0).kid(), "k1");
  EXPECT_THAT(callers_.methods(), ::testing::IsEmpty());
}

TEST_F(UnaryHandlerTest, AStatusKeepsItsCodeAndMessage) {
  pb::LogoutRequest request;
  request.set_session_id("other");
  pb::LogoutResponse out;
  const grpc::Status status = stub_->Logout(As("alice").get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "not yours");
}

TEST_F(UnaryHandlerTest, InternalDetailStaysInTheServer) {
  adapter_.fail_ = true;
  pb::GetJwksResponse jwks;
  const grpc::Status status = stub_->GetJwks(As("").get(), {}, &jwks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("secret_column")));
}

TEST_F(UnaryHandlerTest, AReplyFilledInPlaceIsSentOnSuccessOnly) {
  pb::ListRevokedSessionsResponse reply;
  ASSERT_TRUE(stub_->ListRevokedSessions(As("").get(), {}, &reply).ok());
  EXPECT_EQ(reply.cursor(), 42);
  pb::ListRevokedSessionsRequest bad;
  bad.set_after_cursor(-1);
  pb::ListRevokedSessionsResponse refused;
  const grpc::Status status = stub_->ListRevokedSessions(As("").get(), bad, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(UnaryHandlerInPlaceTest, AFailedCallLeavesNoPartialReply) {
  const UnaryHandler handler = UnaryHandler::For<pb::AuthService>(nullptr);
  grpc::ServerContext context;
  pb::ListRevokedSessionsResponse reply;
  const grpc::Status status =
      handler.Run(context, "ListRevokedSessions", &reply, [](pb::ListRevokedSessionsResponse* r) {
        r->set_cursor(42);
        return absl::InvalidArgumentError("half done");
      });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(reply.cursor(), 0);
}

TEST(UnaryHandlerNameTest, FullMethodIsServiceAndMethod) {
  const UnaryHandler handler = UnaryHandler::For<pb::AuthService>(nullptr);
  EXPECT_EQ(handler.FullMethod("Login"), "/jit.auth.v1.AuthService/Login");
  EXPECT_THAT(handler.FullMethod("X"), StartsWith("/jit.auth.v1.AuthService/"));
}

}  // namespace
}  // namespace jit::server
