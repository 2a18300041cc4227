#include "common/auth/call_authorizer.h"

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/auth/test_keys.h"
#include "common/auth/testing/static_revocation_checker.h"
#include "common/clock.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::MakeTestSessionKey;
using ::jit::auth::testing::TestSessionKey;
using ::jit::auth::testing::TestUser;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPublic[] = "/jit.auth.v1.AuthService/GetJwks";
constexpr char kUsersOnly[] = "/jit.requests.v1.RequestsService/CreateRequest";
constexpr char kCaOnly[] = "/jit.requests.v1.RequestsService/ListActiveGrants";
constexpr char kUsersAndServices[] = "/jit.auth.v1.AuthService/WhoAmI";
constexpr char kHostsOnly[] = "/jit.ca.v1.CaService/RenewHost";

class CallAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = *MethodAuthorizationTable::Create({
        {kPublic, Public()},
        {kUsersOnly, Users()},
        {kCaOnly, Services({"ca"})},
        {kUsersAndServices, UsersAndAnyService()},
        {kHostsOnly, Hosts()},
    });
    key_ = *MakeTestSessionKey("k1", "jit-access", "jit-test");
    source_.SetKeys({key_.jwk});
    keys_ = *JwksCache::Create(&source_, &clock_, {});
    tokens_ = *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test"}, keys_.get(),
                                     &revocation_, &clock_);
    ca_ = *pki::CreateCertificateAuthority({}, clock_.Now());
    peers_ = *PeerCertificateVerifier::Create(*pki::CertificateToPem(ca_.cert.get()), &clock_);
    authorizer_ = *CallAuthorizer::Create(&table_, tokens_.get(), peers_.get());
    ca_cert_ = Cert(ca_, "spiffe://jit-access/service/ca");
    policy_cert_ = Cert(ca_, "spiffe://jit-access/service/policy");
    user_cert_ = Cert(ca_, "spiffe://jit-access/user/alice");
    rogue_ca_ = *pki::CreateCertificateAuthority({}, clock_.Now());
    rogue_cert_ = Cert(rogue_ca_, "spiffe://jit-access/service/ca");
  }

  std::string Cert(const pki::CertificateAuthority& ca, const std::string& uri) {
    return pki::IssueCertificate(ca, {.common_name = "x", .uri_sans = {uri}}, clock_.Now())
        ->cert_pem;
  }
  std::string Bearer(absl::Duration ttl = absl::Hours(1), absl::Duration offset = {}) {
    const absl::Time iat = clock_.Now() + offset;
    return "Bearer " + *key_.issuer->Issue(TestUser("alice", "sess-1"), iat, iat + ttl);
  }
  absl::StatusOr<Identity> Call(const char* method, std::vector<std::string> auth = {},
                                const std::string& cert = "") {
    held_ = std::move(auth);
    CallCredentials creds;
    for (const auto& a : held_) creds.authorization.push_back(a);
    creds.peer_cert_pem = cert;
    return authorizer_->Authorize(method, creds);
  }

  FakeClock clock_;
  MethodAuthorizationTable table_;
  TestSessionKey key_;
  StaticJwksSource source_;
  StaticRevocationChecker revocation_;
  std::unique_ptr<JwksCache> keys_;
  std::unique_ptr<TokenVerifier> tokens_;
  pki::CertificateAuthority ca_, rogue_ca_;
  std::unique_ptr<PeerCertificateVerifier> peers_;
  std::unique_ptr<CallAuthorizer> authorizer_;
  std::string ca_cert_, policy_cert_, user_cert_, rogue_cert_;
  std::vector<std::string> held_;
};

TEST_F(CallAuthorizerTest, MethodMissingFromTheTableIsDenied) {
  EXPECT_THAT(Call("/jit.auth.v1.AuthService/Logout", {Bearer()}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no authorization rule")));
  EXPECT_THAT(Call("/jit.auth.v1.AuthService/Logout", {}, ca_cert_),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CallAuthorizerTest, PublicMethodNeedsNoCredentials) {
  ASSERT_OK_AND_ASSIGN(Identity anonymous, Call(kPublic));
  EXPECT_EQ(anonymous.kind(), Identity::KIND_UNSPECIFIED);
  ASSERT_OK_AND_ASSIGN(Identity service, Call(kPublic, {}, ca_cert_));
  EXPECT_EQ(service.kind(), Identity::KIND_SERVICE);
  EXPECT_THAT(Call(kPublic, {"Bearer garbage"}), IsOk());
}

TEST_F(CallAuthorizerTest, UserWithValidTokenMayCallUserMethods) {
  ASSERT_OK_AND_ASSIGN(Identity user, Call(kUsersOnly, {Bearer()}));
  EXPECT_EQ(user.kind(), Identity::KIND_USER);
  EXPECT_EQ(user.name(), "alice");
}

TEST_F(CallAuthorizerTest, NoTokenIsUnauthenticated) {
  EXPECT_THAT(Call(kUsersOnly),
              StatusIs(absl::StatusCode::kUnauthenticated, "missing bearer token"));
}

TEST_F(CallAuthorizerTest, ExpiredTokenIsUnauthenticated) {
  EXPECT_THAT(Call(kUsersOnly, {Bearer(absl::Hours(1), -absl::Hours(2))}),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
}

TEST_F(CallAuthorizerTest, ForgedTokenIsUnauthenticated) {
  TestSessionKey attacker = *MakeTestSessionKey("k1", "jit-access", "jit-test");
  const std::string forged =
      "Bearer " +
      *attacker.issuer->Issue(TestUser("admin", "s"), clock_.Now(), clock_.Now() + absl::Hours(1));
  EXPECT_THAT(Call(kUsersOnly, {forged}),
              StatusIs(absl::StatusCode::kUnauthenticated, "token signature is invalid"));
}

TEST_F(CallAuthorizerTest, TwoAuthorizationHeadersAreRefused) {
  EXPECT_THAT(Call(kUsersOnly, {Bearer(), Bearer()}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("more than one")));
}

TEST_F(CallAuthorizerTest, UserTokenOnServiceOnlyMethodIsDenied) {
  EXPECT_THAT(Call(kCaOnly, {Bearer()}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("users may not call")));
}

TEST_F(CallAuthorizerTest, AllowedServiceCertificatePasses) {
  ASSERT_OK_AND_ASSIGN(Identity svc, Call(kCaOnly, {}, ca_cert_));
  EXPECT_EQ(svc.kind(), Identity::KIND_SERVICE);
  EXPECT_EQ(svc.name(), "ca");
  EXPECT_EQ(svc.spiffe_id(), "spiffe://jit-access/service/ca");
  EXPECT_EQ(svc.auth_method(), "mtls");
}

TEST_F(CallAuthorizerTest, HostCertificatePassesOnlyWhereHostsAreAllowed) {
  const std::string host = Cert(ca_, "spiffe://jit-access/host/db1.example.com");
  ASSERT_OK_AND_ASSIGN(Identity id, Call(kHostsOnly, {}, host));
  EXPECT_EQ(id.kind(), Identity::KIND_HOST);
  EXPECT_EQ(id.name(), "db1.example.com");
  EXPECT_THAT(Call(kCaOnly, {}, host),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("hosts may not call")));
  EXPECT_THAT(Call(kUsersAndServices, {}, host), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(kHostsOnly, {}, ca_cert_), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(kHostsOnly, {}, Cert(rogue_ca_, "spiffe://jit-access/host/db1.example.com")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallAuthorizerTest, ServiceNotOnTheAllowlistIsDenied) {
  EXPECT_THAT(Call(kCaOnly, {}, policy_cert_), StatusIs(absl::StatusCode::kPermissionDenied,
                                                        HasSubstr("service policy may not call")));
}

TEST_F(CallAuthorizerTest, CertificateFromAnotherCaIsUnauthenticated) {
  EXPECT_THAT(Call(kCaOnly, {}, rogue_cert_), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallAuthorizerTest, NoCredentialsOnServiceMethodIsUnauthenticated) {
  EXPECT_THAT(Call(kCaOnly), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallAuthorizerTest, BadTokenDoesNotFallBackToTheCertificate) {
  EXPECT_THAT(Call(kUsersAndServices, {"Bearer not.a.token"}, ca_cert_),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallAuthorizerTest, PersonCertificateIsNotASession) {
  EXPECT_THAT(Call(kUsersOnly, {}, user_cert_),
              StatusIs(absl::StatusCode::kUnauthenticated, "missing bearer token"));
  EXPECT_THAT(Call(kCaOnly, {}, user_cert_), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CallAuthorizerTest, RevokedSessionIsUnauthenticated) {
  const std::string bearer = Bearer();
  ASSERT_THAT(Call(kUsersOnly, {bearer}), IsOk());
  revocation_.Revoke("sess-1");
  EXPECT_THAT(Call(kUsersOnly, {bearer}),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
}

TEST_F(CallAuthorizerTest, ServerWithoutPeerVerifierRefusesServiceCallers) {
  auto no_peers = *CallAuthorizer::Create(&table_, tokens_.get(), nullptr);
  CallCredentials creds{.peer_cert_pem = ca_cert_};
  EXPECT_THAT(no_peers->Authorize(kCaOnly, creds), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace jit::auth

namespace jit::auth {
namespace {

class RecordingObserver final : public TokenVerificationObserver {
 public:
  void Record(TokenVerificationResult result) override { results.push_back(result); }
  std::vector<TokenVerificationResult> results;
};

TEST_F(CallAuthorizerTest, GateReportsEachTokenVerificationOnceByResult) {
  RecordingObserver observer;
  auto authorizer = *CallAuthorizer::Create(&table_, tokens_.get(), peers_.get(), &observer);
  auto call = [&](const std::string& header, bool record) {
    CallCredentials creds;
    creds.authorization.push_back(header);
    return authorizer->Authorize(kUsersOnly, creds, record).status();
  };
  const std::string valid = Bearer();
  EXPECT_OK(call(valid, /*record=*/true));
  EXPECT_OK(call(valid, /*record=*/false));  // the handler's re-check is not counted
  EXPECT_THAT(call("Bearer garbage", true), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(call(Bearer(absl::Hours(1), -absl::Hours(2)), true),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
  revocation_.Revoke("sess-1");
  EXPECT_THAT(call(valid, true), StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  revocation_.SetUnavailable(true);
  EXPECT_THAT(call(valid, true), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(
      observer.results,
      ::testing::ElementsAre(TokenVerificationResult::kValid, TokenVerificationResult::kInvalid,
                             TokenVerificationResult::kExpired, TokenVerificationResult::kRevoked,
                             TokenVerificationResult::kUnavailable));
  // No token: nothing to count.
  CallCredentials none;
  EXPECT_THAT(authorizer->Authorize(kUsersOnly, none, true),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(observer.results.size(), 5u);
}

TEST(TokenVerificationResultTest, NamesAreTheMetricLabels) {
  EXPECT_STREQ(TokenVerificationResultName(TokenVerificationResult::kValid), "valid");
  EXPECT_STREQ(TokenVerificationResultName(TokenVerificationResult::kUnavailable), "unavailable");
}

}  // namespace
}  // namespace jit::auth
