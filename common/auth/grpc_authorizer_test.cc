// End to end over real mTLS on 127.0.0.1: certificates from jit-bootstrap's code, a gRPC
// server with the AuthorizingMetadataProcessor, and test handlers for jit services. Checks
// the exact status codes a caller sees and that refused calls never reach a handler.
#include "common/auth/grpc_authorizer.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/auth/call_authorizer.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/peer_certificate_verifier.h"
#include "common/auth/revocation.h"
#include "common/auth/test_keys.h"
#include "common/auth/testing/static_revocation_checker.h"
#include "common/auth/token_verifier.h"
#include "common/clock.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "tools/jit-bootstrap/bootstrap.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::MakeTestSessionKey;
using ::jit::auth::testing::TestSessionKey;
using ::jit::auth::testing::TestUser;
using ::jit::common::v1::Identity;
using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

grpc::Status FromAbsl(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// AuthService handlers: WhoAmI echoes the caller's identity; GetJwks is public; Logout is
// missing from the test's table (the processor must refuse it before the handler).
class TestAuthService final : public jit::auth::v1::AuthService::Service {
 public:
  explicit TestAuthService(const CallAuthorizer* authorizer) : authorizer_(authorizer) {}
  grpc::Status WhoAmI(grpc::ServerContext* context, const jit::auth::v1::WhoAmIRequest*,
                      jit::auth::v1::WhoAmIResponse* response) override {
    ++calls;
    absl::StatusOr<Identity> caller =
        AuthorizeServerCall(*authorizer_, *context, "/jit.auth.v1.AuthService/WhoAmI");
    if (!caller.ok()) return FromAbsl(caller.status());
    *response->mutable_identity() = *caller;
    return grpc::Status::OK;
  }
  grpc::Status GetJwks(grpc::ServerContext*, const jit::auth::v1::GetJwksRequest*,
                       jit::auth::v1::GetJwksResponse* response) override {
    ++calls;
    response->set_jwks_json(R"({"keys":[]})");
    return grpc::Status::OK;
  }
  grpc::Status Logout(grpc::ServerContext* context, const jit::auth::v1::LogoutRequest*,
                      jit::auth::v1::LogoutResponse*) override {
    ++calls;
    absl::StatusOr<Identity> caller =
        AuthorizeServerCall(*authorizer_, *context, "/jit.auth.v1.AuthService/Logout");
    if (!caller.ok()) return FromAbsl(caller.status());
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};

 private:
  const CallAuthorizer* const authorizer_;
};

class TestRequestsService final : public jit::requests::v1::RequestsService::Service {
 public:
  explicit TestRequestsService(const CallAuthorizer* authorizer) : authorizer_(authorizer) {}
  grpc::Status ListActiveGrants(grpc::ServerContext* context,
                                const jit::requests::v1::ListActiveGrantsRequest*,
                                jit::requests::v1::ListActiveGrantsResponse*) override {
    ++calls;
    absl::StatusOr<Identity> caller = AuthorizeServerCall(
        *authorizer_, *context, "/jit.requests.v1.RequestsService/ListActiveGrants");
    if (!caller.ok()) return FromAbsl(caller.status());
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};

 private:
  const CallAuthorizer* const authorizer_;
};

class GrpcAuthorizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = new std::string(std::string(tmp ? tmp : "/tmp") + "/grpc-pki");
    rogue_dir_ = new std::string(*dir_ + "-rogue");
    // The server's certificate and the callers' certificates, made by jit-bootstrap's code.
    tools::BootstrapOptions options{.dir = *dir_,
                                    .services = {"auth", "ca", "policy"},
                                    .users = {"alice"},
                                    .dns_sans = {"localhost"},
                                    .ip_sans = {"127.0.0.1"}};
    ASSERT_TRUE(tools::Bootstrap(options, absl::Now()).ok());
    options.dir = *rogue_dir_;
    options.services = {"ca"};
    options.users = {};
    ASSERT_TRUE(tools::Bootstrap(options, absl::Now()).ok());
  }

  void SetUp() override {
    // Table: the project's rows for the methods served here, except Logout (to prove that a
    // method missing from the table is refused).
    std::vector<std::pair<std::string, MethodRule>> rows;
    for (const char* m : {"/jit.auth.v1.AuthService/WhoAmI", "/jit.auth.v1.AuthService/GetJwks",
                          "/jit.requests.v1.RequestsService/ListActiveGrants"}) {
      rows.emplace_back(m, *JitMethodTable().Find(m));
    }
    table_ = *MethodAuthorizationTable::Create(std::move(rows));
    key_ = *MakeTestSessionKey("k1", "jit-access", "jit-test");
    source_.SetKeys({key_.jwk});
    keys_ = *JwksCache::Create(&source_, &clock_, {});
    tokens_ = *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test"}, keys_.get(),
                                     &revocation_, &clock_);
    peers_ = *PeerCertificateVerifier::Create(Read(*dir_ + "/internal-ca.pem"), &clock_);
    authorizer_ = *CallAuthorizer::Create(&table_, tokens_.get(), peers_.get());
    auth_service_ = std::make_unique<TestAuthService>(authorizer_.get());
    requests_service_ = std::make_unique<TestRequestsService>(authorizer_.get());

    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = Read(*dir_ + "/internal-ca.pem");
    ssl.pem_key_cert_pairs.push_back({Read(*dir_ + "/auth.key"), Read(*dir_ + "/auth.pem")});
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::SslServerCredentials(ssl);
    processor_ = std::make_shared<AuthorizingMetadataProcessor>(
        authorizer_.get(),
        [this](std::string_view method, grpc::StatusCode code, absl::Duration) {
          absl::MutexLock lock(&refusals_mu_);
          refusals_.emplace_back(std::string(method), code);
        },
        &clock_);
    creds->SetAuthMetadataProcessor(processor_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", creds, &port_);
    builder.RegisterService(auth_service_.get());
    builder.RegisterService(requests_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override { server_->Shutdown(); }

  // A channel presenting the given client certificate stem ("" = none) from `dir`.
  std::shared_ptr<grpc::Channel> Channel(const std::string& stem, const std::string& dir = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(*dir_ + "/internal-ca.pem");
    if (!stem.empty()) {
      const std::string d = dir.empty() ? *dir_ : dir;
      ssl.pem_private_key = Read(d + "/" + stem + ".key");
      ssl.pem_cert_chain = Read(d + "/" + stem + ".pem");
    }
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::SslCredentials(ssl));
  }

  std::string Token(absl::Duration ttl = absl::Hours(1), absl::Duration offset = {},
                    const std::string& sid = "sess-1") {
    const absl::Time iat = clock_.Now() + offset;
    return *key_.issuer->Issue(TestUser("alice", sid), iat, iat + ttl);
  }

  grpc::Status WhoAmI(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                      Identity* identity = nullptr) {
    auto stub = jit::auth::v1::AuthService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    jit::auth::v1::WhoAmIResponse response;
    grpc::Status s = stub->WhoAmI(&ctx, {}, &response);
    if (identity != nullptr) *identity = response.identity();
    return s;
  }

  grpc::Status ListActiveGrants(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& token = "") {
    auto stub = jit::requests::v1::RequestsService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    jit::requests::v1::ListActiveGrantsResponse response;
    return stub->ListActiveGrants(&ctx, {}, &response);
  }

  static std::string* dir_;
  static std::string* rogue_dir_;
  FakeClock clock_{absl::Now()};
  MethodAuthorizationTable table_;
  TestSessionKey key_;
  StaticJwksSource source_;
  StaticRevocationChecker revocation_;
  std::unique_ptr<JwksCache> keys_;
  std::unique_ptr<TokenVerifier> tokens_;
  std::unique_ptr<PeerCertificateVerifier> peers_;
  std::unique_ptr<CallAuthorizer> authorizer_;
  std::unique_ptr<TestAuthService> auth_service_;
  std::unique_ptr<TestRequestsService> requests_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<AuthorizingMetadataProcessor> processor_;
  absl::Mutex refusals_mu_;
  std::vector<std::pair<std::string, grpc::StatusCode>> refusals_ ABSL_GUARDED_BY(refusals_mu_);
};

std::string* GrpcAuthorizerTest::dir_ = nullptr;
std::string* GrpcAuthorizerTest::rogue_dir_ = nullptr;

TEST_F(GrpcAuthorizerTest, ValidTokenReachesTheHandlerWithTheUserIdentity) {
  Identity identity;
  grpc::Status s = WhoAmI(Channel(""), Token(), &identity);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(identity.kind(), Identity::KIND_USER);
  EXPECT_EQ(identity.name(), "alice");
  EXPECT_EQ(identity.session_id(), "sess-1");
}

TEST_F(GrpcAuthorizerTest, EachCallOnOneConnectionGetsItsOwnIdentity) {
  // The identity is stored in the per-call AuthContext: calls sharing a connection must not
  // see each other's.
  auto channel = Channel("ca");
  const absl::Time now = clock_.Now();
  const std::string bob =
      *key_.issuer->Issue(TestUser("bob", "sess-bob"), now, now + absl::Hours(1));
  for (int round = 0; round < 3; ++round) {
    Identity identity;
    ASSERT_TRUE(WhoAmI(channel, Token(), &identity).ok());
    EXPECT_EQ(identity.name(), "alice");
    ASSERT_TRUE(WhoAmI(channel, bob, &identity).ok());
    EXPECT_EQ(identity.name(), "bob");
    ASSERT_TRUE(WhoAmI(channel, "", &identity).ok());
    EXPECT_EQ(identity.kind(), Identity::KIND_SERVICE);
    EXPECT_EQ(identity.name(), "ca");
  }
}

TEST_F(GrpcAuthorizerTest, EveryCallOnAConnectionPassesTheGate) {
  // The processor runs per call, not per connection: after an accepted call, a call without
  // credentials on the same connection is refused before its handler.
  auto channel = Channel("");
  ASSERT_TRUE(WhoAmI(channel, Token()).ok());
  EXPECT_EQ(auth_service_->calls.load(), 1);
  EXPECT_EQ(WhoAmI(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListActiveGrants(channel, Token()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(auth_service_->calls.load(), 1);
  EXPECT_EQ(requests_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, NoTokenIsUnauthenticated) {
  grpc::Status s = WhoAmI(Channel(""), "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(auth_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, ExpiredTokenIsUnauthenticated) {
  grpc::Status s = WhoAmI(Channel(""), Token(absl::Hours(1), -absl::Hours(3)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "token expired");
  EXPECT_EQ(auth_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, TokenForAnotherAudienceIsUnauthenticated) {
  auto issuer = *jwt::SessionTokenIssuer::Create({.issuer = "jit-access", .audience = "elsewhere"},
                                                 jwt::JwsAlgorithm::kEdDSA, "k1", key_.signer);
  const std::string token =
      *issuer->Issue(TestUser("alice", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  grpc::Status s = WhoAmI(Channel(""), token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "token audience mismatch");
}

TEST_F(GrpcAuthorizerTest, ForgedTokenIsUnauthenticated) {
  TestSessionKey attacker = *MakeTestSessionKey("k1", "jit-access", "jit-test");
  const std::string token =
      *attacker.issuer->Issue(TestUser("admin", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  grpc::Status s = WhoAmI(Channel(""), token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "token signature is invalid");
}

TEST_F(GrpcAuthorizerTest, RevokedSessionIsUnauthenticated) {
  const std::string token = Token();
  ASSERT_TRUE(WhoAmI(Channel(""), token).ok());
  revocation_.Revoke("sess-1");
  grpc::Status s = WhoAmI(Channel(""), token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "session revoked");
}

TEST_F(GrpcAuthorizerTest, AllowedServiceCertificatePasses) {
  grpc::Status s = ListActiveGrants(Channel("ca"));
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(requests_service_->calls.load(), 1);
  Identity identity;
  ASSERT_TRUE(WhoAmI(Channel("ca"), "", &identity).ok());
  EXPECT_EQ(identity.kind(), Identity::KIND_SERVICE);
  EXPECT_EQ(identity.name(), "ca");
  EXPECT_EQ(identity.spiffe_id(), "spiffe://jit-access/service/ca");
}

TEST_F(GrpcAuthorizerTest, ServiceCertificateNotOnTheAllowlistIsPermissionDenied) {
  grpc::Status s = ListActiveGrants(Channel("policy"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("service policy may not call"));
  EXPECT_EQ(requests_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, UserTokenOnAServiceOnlyMethodIsPermissionDenied) {
  grpc::Status s = ListActiveGrants(Channel(""), Token());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(requests_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, NoCredentialsOnAServiceOnlyMethodIsUnauthenticated) {
  EXPECT_EQ(ListActiveGrants(Channel("")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcAuthorizerTest, PersonCertificateIsNotAService) {
  EXPECT_EQ(ListActiveGrants(Channel("user-alice")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GrpcAuthorizerTest, CertificateFromAnotherCaFailsTheHandshake) {
  // The server's TLS layer refuses it before any RPC: the client sees UNAVAILABLE.
  grpc::Status s = ListActiveGrants(Channel("ca", *rogue_dir_));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(requests_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, PublicMethodNeedsNoCredentials) {
  auto stub = jit::auth::v1::AuthService::NewStub(Channel(""));
  grpc::ClientContext ctx;
  jit::auth::v1::GetJwksResponse response;
  grpc::Status s = stub->GetJwks(&ctx, {}, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.jwks_json(), R"({"keys":[]})");
}

TEST_F(GrpcAuthorizerTest, MethodMissingFromTheTableIsPermissionDeniedBeforeTheHandler) {
  auto stub = jit::auth::v1::AuthService::NewStub(Channel(""));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + Token());
  jit::auth::v1::LogoutResponse response;
  grpc::Status s = stub->Logout(&ctx, {}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(auth_service_->calls.load(), 0);
}

TEST_F(GrpcAuthorizerTest, RefusalsAreReportedAndTheirLogIsRateLimited) {
  const int burst = AuthorizingMetadataProcessor::kRefusalLogLines;
  for (int i = 0; i < burst + 30; ++i) {
    EXPECT_EQ(WhoAmI(Channel(""), "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    absl::MutexLock lock(&refusals_mu_);
    ASSERT_EQ(refusals_.size(), static_cast<size_t>(burst + 30));
    EXPECT_EQ(refusals_[0].first, "/jit.auth.v1.AuthService/WhoAmI");
    EXPECT_EQ(refusals_[0].second, grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(processor_->logged_refusals(), burst);  // the rest were counted, not logged
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(WhoAmI(Channel(""), "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(processor_->logged_refusals(), burst + 1);
}

TEST_F(GrpcAuthorizerTest, HandlerSideAuthorizationWithoutCredentialsFails) {
  MethodAuthorizationTable with_logout =
      *MethodAuthorizationTable::Create({{"/jit.auth.v1.AuthService/Logout", Users()}});
  auto authorizer = *CallAuthorizer::Create(&with_logout, tokens_.get(), peers_.get());
  grpc::ServerContext unused;  // no peer, no metadata
  EXPECT_THAT(AuthorizeServerCall(*authorizer, unused, "/jit.auth.v1.AuthService/Logout"),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "missing bearer token"));
}

}  // namespace
}  // namespace jit::auth
