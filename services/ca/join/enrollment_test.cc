#include "services/ca/join/enrollment.h"

#include <memory>
#include <string>
#include <vector>

#include "common/audit/testing/in_memory_audit_outbox.h"
#include "common/auth/spiffe.h"
#include "common/clock.h"
#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/join/join_token.h"
#include "services/ca/join/testing/in_memory_join_store.h"
#include "services/ca/testing/client_keys.h"

namespace jit::ca::join {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class AllowList final : public policy::PermissionChecker {
 public:
  absl::Status Check(const Identity& caller, std::string_view resource,
                     std::string_view verb) override {
    if (caller.name() == "admin" && resource == "cert_authority" && verb == "create") {
      return absl::OkStatus();
    }
    return absl::PermissionDeniedError("not an admin");
  }
};

class EnrollmentTest : public ::testing::Test {
 protected:
  EnrollmentTest()
      : internal_ca_(*pki::CreateCertificateAuthority({}, clock_.Now())),
        limiter_(&clock_, {.per_address = 100, .total = 100}),
        enrollment_(&store_, Signer(), &internal_ca_, &permissions_, &refusals_, &limiter_,
                    &clock_) {
    admin_.identity.set_kind(Identity::KIND_USER);
    admin_.identity.set_name("admin");
    admin_.actor.actor = "user:admin";
    anonymous_.actor = {.actor = "anonymous", .remote_addr = "ipv4:10.0.0.9:4000"};
    host_key_ = ca::testing::NewClientKey("ED25519");
    identity_key_ = ca::testing::NewClientKey("P-256");
  }

  HostCertSigner Signer() {
    return [this](const ssh::SshPublicKey& key, const std::vector<std::string>& principals,
                  absl::Duration ttl, std::string_view owner,
                  const audit::AuditActor& actor) -> absl::StatusOr<v1::SignHostSshCertResponse> {
      signed_.push_back({key.Fingerprint(), principals, std::string(owner)});
      v1::SignHostSshCertResponse r;
      r.set_certificate("ssh-ed25519-cert-v01@openssh.com AAAA signed-for-" + principals[0]);
      r.mutable_issued()->set_serial(std::to_string(signed_.size()));
      return r;
    };
  }

  std::string Token(v1::JoinTokenKind kind, std::vector<std::string> names,
                    absl::Duration ttl = absl::Hours(1)) {
    v1::CreateJoinTokenRequest req;
    req.set_kind(kind);
    for (auto& n : names) req.add_allowed_names(n);
    req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(ttl));
    absl::StatusOr<v1::CreateJoinTokenResponse> r = enrollment_.CreateJoinToken(admin_, req);
    EXPECT_THAT(r.status(), IsOk());
    return r.ok() ? r->token() : "";
  }

  v1::EnrollHostRequest HostRequest(const std::string& token, std::vector<std::string> names) {
    v1::EnrollHostRequest req;
    req.set_join_token(token);
    req.set_host_public_key(ca::testing::SshPublicKeyLine(host_key_.get()));
    for (auto& n : names) req.add_principals(n);
    req.set_identity_public_key_pem(ca::testing::PublicKeyPem(identity_key_.get()));
    return req;
  }

  v1::JoinServiceRequest ServiceRequest(const std::string& token, const std::string& name) {
    v1::JoinServiceRequest req;
    req.set_join_token(token);
    req.set_service_name(name);
    req.set_csr_pem(ca::testing::CsrPem(identity_key_.get()));
    return req;
  }

  struct Signed {
    std::string fingerprint;
    std::vector<std::string> principals;
    std::string owner;
  };

  FakeClock clock_;
  pki::CertificateAuthority internal_ca_;
  testing::InMemoryJoinStore store_;
  AllowList permissions_;
  audit::testing::InMemoryAuditOutbox refusals_;
  RedemptionLimiter limiter_;
  Enrollment enrollment_;
  server::Caller admin_, anonymous_;
  crypto::EvpPkeyPtr host_key_, identity_key_;
  std::vector<Signed> signed_;
};

TEST_F(EnrollmentTest, CreateReturnsTheSecretOnceAndStoresOnlyItsHash) {
  v1::CreateJoinTokenRequest req;
  req.set_kind(v1::JOIN_TOKEN_KIND_HOST);
  req.add_allowed_names("db1.example.com");
  ASSERT_OK_AND_ASSIGN(v1::CreateJoinTokenResponse r, enrollment_.CreateJoinToken(admin_, req));
  ASSERT_OK_AND_ASSIGN(ParsedToken parsed, ParseJoinToken(r.token()));
  EXPECT_EQ(parsed.token_id, r.token_id());
  std::optional<JoinTokenRecord> stored = store_.token(r.token_id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->token_hash, parsed.token_hash);
  EXPECT_EQ(stored->expire_time, clock_.Now() + absl::Hours(1));  // the default TTL
  EXPECT_EQ(stored->creator, "user:admin");
  ASSERT_EQ(store_.events().size(), 1u);
  const jit::common::v1::AuditEvent event = store_.events()[0];
  EXPECT_EQ(event.type(), "join_token.create");
  EXPECT_THAT(event.DebugString(), ::testing::Not(HasSubstr(r.token())));
}

TEST_F(EnrollmentTest, CreateNeedsCertAuthorityCreate) {
  server::Caller alice = admin_;
  alice.identity.set_name("alice");
  v1::CreateJoinTokenRequest req;
  req.set_kind(v1::JOIN_TOKEN_KIND_HOST);
  req.add_allowed_names("db1");
  EXPECT_THAT(enrollment_.CreateJoinToken(alice, req),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(store_.events().empty());
}

TEST_F(EnrollmentTest, CreateRefusesBadInput) {
  v1::CreateJoinTokenRequest req;
  req.add_allowed_names("db1");
  EXPECT_THAT(enrollment_.CreateJoinToken(admin_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind")));
  req.set_kind(v1::JOIN_TOKEN_KIND_SERVICE);
  req.set_allowed_names(0, "Not_A_Service");
  EXPECT_THAT(enrollment_.CreateJoinToken(admin_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allowed_names")));
  req.set_allowed_names(0, "worker");
  req.mutable_ttl()->set_seconds(25 * 3600);
  EXPECT_THAT(enrollment_.CreateJoinToken(admin_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
  req.mutable_ttl()->set_seconds(0);
  EXPECT_THAT(enrollment_.CreateJoinToken(admin_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
  v1::CreateJoinTokenRequest empty;
  empty.set_kind(v1::JOIN_TOKEN_KIND_HOST);
  EXPECT_THAT(enrollment_.CreateJoinToken(admin_, empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allowed_names")));
  EXPECT_TRUE(store_.events().empty());
}

TEST_F(EnrollmentTest, HostEnrolsOnceWithCertificateAndIdentity) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1.example.com", "10.0.0.5"});
  ASSERT_OK_AND_ASSIGN(
      v1::EnrollHostResponse r,
      enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1.example.com", "10.0.0.5"})));
  EXPECT_THAT(r.host_certificate(), HasSubstr("signed-for-db1.example.com"));
  ASSERT_EQ(signed_.size(), 1u);
  EXPECT_EQ(signed_[0].owner, "host:db1.example.com");
  EXPECT_EQ(signed_[0].principals, (std::vector<std::string>{"db1.example.com", "10.0.0.5"}));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert,
                       pki::ParseCertificatePem(r.identity_certificate_pem()));
  ASSERT_OK_AND_ASSIGN(pki::CertificateInfo info, pki::DescribeCertificate(cert.get()));
  EXPECT_EQ(info.uri_sans, std::vector<std::string>{"spiffe://jit-access/host/db1.example.com"});
  EXPECT_THAT(pki::VerifyCertificate(cert.get(), internal_ca_.cert.get(), clock_.Now(),
                                     /*server_auth=*/false, /*client_auth=*/true),
              IsOk());
  EXPECT_FALSE(r.internal_ca_bundle_pem().empty());
  ASSERT_OK_AND_ASSIGN(ParsedToken parsed, ParseJoinToken(token));
  EXPECT_EQ(store_.token(parsed.token_id)->redeemed_as, "host:db1.example.com");
  ASSERT_OK_AND_ASSIGN(std::optional<EnrolledHost> host, store_.GetHost("db1.example.com"));
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->token_id, parsed.token_id);
  EXPECT_EQ(store_.events().back().type(), "join_token.redeem");

  // Single use: the second redemption is refused and changes nothing.
  const size_t events = store_.events().size();
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1.example.com"})),
              StatusIs(absl::StatusCode::kPermissionDenied, "join token refused: already used"));
  EXPECT_EQ(store_.events().size(), events);
  EXPECT_EQ(signed_.size(), 1u);
  ASSERT_EQ(refusals_.OfType("join_token.refuse").size(), 1u);
}

TEST_F(EnrollmentTest, ExpiredTokenIsRefusedAndStaysUnused) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"}, absl::Minutes(10));
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
  ASSERT_OK_AND_ASSIGN(ParsedToken parsed, ParseJoinToken(token));
  EXPECT_FALSE(store_.token(parsed.token_id)->redeem_time.has_value());
  EXPECT_TRUE(signed_.empty());
  EXPECT_EQ(refusals_.OfType("join_token.refuse").size(), 1u);
}

TEST_F(EnrollmentTest, UnknownAndForgedTokensAreRefused) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  ASSERT_OK_AND_ASSIGN(NewToken other, GenerateJoinToken());
  EXPECT_THAT(
      enrollment_.EnrollHost(anonymous_, HostRequest(std::string(other.token.Reveal()), {"db1"})),
      StatusIs(absl::StatusCode::kPermissionDenied, "join token refused: unknown token"));
  // The right id with another secret.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(forged, {"db1"})),
              StatusIs(absl::StatusCode::kPermissionDenied, "join token refused: unknown token"));
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest("hunter2", {"db1"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a join token")));
  // The genuine token still works afterwards.
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})).status(), IsOk());
  EXPECT_EQ(refusals_.OfType("join_token.refuse").size(), 3u);
}

TEST_F(EnrollmentTest, WrongKindOrNameIsRefusedWithoutSpendingTheToken) {
  const std::string service_token = Token(v1::JOIN_TOKEN_KIND_SERVICE, {"worker"});
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(service_token, {"db1"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("it is a service token, this needs a host token")));
  const std::string host_token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  EXPECT_THAT(enrollment_.JoinService(anonymous_, ServiceRequest(host_token, "worker")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("host token")));
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(host_token, {"db1", "db2"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("\"db2\" is not among its allowed names (db1)")));
  EXPECT_TRUE(signed_.empty());
  // Neither token was spent.
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(host_token, {"db1"})).status(),
              IsOk());
  EXPECT_THAT(enrollment_.JoinService(anonymous_, ServiceRequest(service_token, "worker")).status(),
              IsOk());
}

TEST_F(EnrollmentTest, BadRequestsAreRefusedBeforeTheTokenIsTouched) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  v1::EnrollHostRequest req = HostRequest(token, {"db1"});
  req.set_host_public_key("ssh-ed25519 AAAAnot");
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host_public_key")));
  req = HostRequest(token, {"DB1"});
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("principals")));
  req = HostRequest(token, {"db1"});
  req.set_identity_public_key_pem("nope");
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("identity_public_key_pem")));
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})).status(), IsOk());
}

TEST_F(EnrollmentTest, ServiceJoinsWithItsSpiffeCertificate) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_SERVICE, {"requests", "policy"});
  v1::JoinServiceRequest req = ServiceRequest(token, "requests");
  req.add_dns_names("localhost");
  req.add_ip_addresses("127.0.0.1");
  ASSERT_OK_AND_ASSIGN(v1::JoinServiceResponse r, enrollment_.JoinService(anonymous_, req));
  ASSERT_OK_AND_ASSIGN(crypto::X509Ptr cert, pki::ParseCertificatePem(r.certificate_pem()));
  ASSERT_OK_AND_ASSIGN(pki::CertificateInfo info, pki::DescribeCertificate(cert.get()));
  EXPECT_EQ(info.uri_sans, std::vector<std::string>{"spiffe://jit-access/service/requests"});
  EXPECT_EQ(info.dns_sans, std::vector<std::string>{"localhost"});
  EXPECT_THAT(pki::VerifyCertificate(cert.get(), internal_ca_.cert.get(), clock_.Now()), IsOk());
  EXPECT_EQ(r.ca_bundle_pem(), *pki::CertificateToPem(internal_ca_.cert.get()));
  EXPECT_THAT(enrollment_.JoinService(anonymous_, ServiceRequest(token, "policy")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("already used")));
}

TEST_F(EnrollmentTest, WithoutAnInternalCaRedemptionIsAPreconditionFailure) {
  Enrollment no_ca(&store_, Signer(), nullptr, &permissions_, &refusals_, &limiter_, &clock_);
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  EXPECT_THAT(no_ca.EnrollHost(anonymous_, HostRequest(token, {"db1"})),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("internal_ca_cert_file")));
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})).status(), IsOk());
}

TEST_F(EnrollmentTest, RedemptionIsRateLimitedPerAddress) {
  RedemptionLimiter strict(&clock_, {.per_address = 3, .total = 5});
  Enrollment limited(&store_, Signer(), &internal_ca_, &permissions_, &refusals_, &strict, &clock_);
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(limited.EnrollHost(anonymous_, HostRequest("jt1.x.y", {"db1"})),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(limited.EnrollHost(anonymous_, HostRequest(token, {"db1"})),
              StatusIs(absl::StatusCode::kResourceExhausted));
  server::Caller elsewhere = anonymous_;
  elsewhere.actor.remote_addr = "ipv4:10.0.0.10:4000";
  EXPECT_THAT(limited.EnrollHost(elsewhere, HostRequest("jt1.x.y", {"db1"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  clock_.Advance(absl::Seconds(20));  // a third of the window: one more attempt
  EXPECT_THAT(limited.EnrollHost(anonymous_, HostRequest(token, {"db1"})).status(), IsOk());
}

TEST_F(EnrollmentTest, StoreDownIsUnavailableAndTheTokenStaysUsable) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1"});
  store_.set_available(false);
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})),
              StatusIs(absl::StatusCode::kUnavailable));
  store_.set_available(true);
  EXPECT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1"})).status(), IsOk());
}

TEST_F(EnrollmentTest, RenewHostKeepsTheEnrolledPrincipalsAndKey) {
  const std::string token = Token(v1::JOIN_TOKEN_KIND_HOST, {"db1", "10.0.0.5"});
  ASSERT_THAT(enrollment_.EnrollHost(anonymous_, HostRequest(token, {"db1", "10.0.0.5"})).status(),
              IsOk());
  server::Caller host;
  host.identity.set_kind(Identity::KIND_HOST);
  host.identity.set_name("db1");
  host.actor.actor = "host:db1";
  v1::RenewHostRequest req;
  req.set_host_public_key(ca::testing::SshPublicKeyLine(host_key_.get()));
  req.set_identity_public_key_pem(ca::testing::PublicKeyPem(identity_key_.get()));
  ASSERT_OK_AND_ASSIGN(v1::RenewHostResponse r, enrollment_.RenewHost(host, req));
  ASSERT_EQ(signed_.size(), 2u);
  EXPECT_EQ(signed_[1].principals, (std::vector<std::string>{"db1", "10.0.0.5"}));
  EXPECT_FALSE(r.identity_certificate_pem().empty());

  crypto::EvpPkeyPtr other = ca::testing::NewClientKey("ED25519");
  req.set_host_public_key(ca::testing::SshPublicKeyLine(other.get()));
  EXPECT_THAT(enrollment_.RenewHost(host, req),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("enrolled with")));
  host.identity.set_name("db9");
  EXPECT_THAT(enrollment_.RenewHost(host, req),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not enrolled")));
  EXPECT_EQ(signed_.size(), 2u);
}

}  // namespace
}  // namespace jit::ca::join
