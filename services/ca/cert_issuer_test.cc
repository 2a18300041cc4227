// CertIssuer with fakes (policy, requests, stores) and a FakeClock: every rule of issue 10
// on SSH user, SSH host and X.509 client certificates.
#include "services/ca/cert_issuer.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/pki/client_cert.h"
#include "common/pki/x509_ca.h"
#include "common/proto_time.h"
#include "common/ssh/certificate.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/ca/testing/client_keys.h"
#include "services/ca/testing/in_memory_ca_key_store.h"
#include "services/ca/testing/in_memory_issued_cert_store.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/client/testing/fake_requests_client.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::Grant;
using ::jit::common::v1::Identity;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::string OptionValue(const std::vector<ssh::SshCertOption>& options, const std::string& name) {
  for (const auto& o : options) {
    if (o.name == name) {
      absl::StatusOr<std::string_view> v = ssh::OptionString(o);
      return v.ok() ? std::string(*v) : "<flag>";
    }
  }
  return "<absent>";
}

class CertIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(keyring_, CaKeyring::Open(keys_, clock_));
    issuer_ = std::make_unique<CertIssuer>(keyring_.get(), &certs_, &policy_, &requests_,
                                           &permissions_, &clock_, &metrics_);
    alice_.set_kind(Identity::KIND_USER);
    alice_.set_name("alice");
    alice_.add_roles("dev");
    alice_.set_session_id("s1");
    SetProtoTimestamp(kT0 + absl::Hours(8), alice_.mutable_expire_time());
    // Policy: "dev" allows logins alice, ubuntu for 4h; "dba" adds postgres, the db user
    // postgres and cuts the TTL to 2h; "secure" requires MFA; "pinned" pins source-address.
    policy_.compute_cert_params.Handle(
        [](const policy::v1::ComputeCertParamsRequest& r)
            -> absl::StatusOr<policy::v1::ComputeCertParamsResponse> {
          policy::v1::ComputeCertParamsResponse out;
          auto* p = out.mutable_params();
          p->mutable_max_ttl()->set_seconds(4 * 3600);
          p->add_logins("alice");
          p->add_logins("ubuntu");
          p->add_db_users("app_ro");
          p->add_db_names("orders");
          p->add_kubernetes_groups("viewers");
          p->add_kubernetes_groups("editors");
          (*p->mutable_ssh_extensions())["permit-pty"] = "";
          for (const std::string& role : r.roles()) {
            p->add_roles(role);
            if (role == "dba") {
              p->add_logins("postgres");
              p->add_db_users("postgres");
              p->mutable_max_ttl()->set_seconds(2 * 3600);
            }
            if (role == "secure") p->set_mfa_required(true);
            if (role == "pinned") (*p->mutable_ssh_extensions())["source-address"] = "10.0.0.0/8";
            if (role == "pin-ip") p->set_pin_source_ip(true);
            if (role == "nothing") return absl::PermissionDeniedError("none of the roles exists");
          }
          return out;
        });
    user_key_ = testing::NewClientKey("ED25519");
  }

  Grant MakeGrant(const std::string& id, const std::string& role, absl::Time start, absl::Time end,
                  const std::string& user = "alice") {
    Grant g;
    g.set_id(id);
    g.set_user(user);
    g.add_roles(role);
    g.set_active(true);
    SetProtoTimestamp(start, g.mutable_start_time());
    SetProtoTimestamp(end, g.mutable_expire_time());
    return g;
  }
  void AnswerGrants(std::vector<Grant> grants) {
    requests::v1::ListActiveGrantsResponse r;
    for (auto& g : grants) *r.add_grants() = g;
    requests_.list_active_grants.Answer(r);
  }
  void AllowPermissions(bool allowed) {
    policy::v1::CheckPermissionResponse r;
    r.set_allowed(allowed);
    policy_.check_permission.Answer(r);
  }

  v1::SignUserSshCertRequest UserRequest() {
    v1::SignUserSshCertRequest r;
    r.set_public_key(testing::SshPublicKeyLine(user_key_.get()));
    return r;
  }
  absl::StatusOr<v1::SignUserSshCertResponse> SignUser(const v1::SignUserSshCertRequest& r) {
    return issuer_->SignUserSshCert(alice_, {.actor = "user:alice"}, r);
  }

  FakeClock clock_{kT0};
  testing::InMemoryCaKeyStore keys_;
  testing::InMemoryIssuedCertStore certs_;
  policy::testing::FakePolicyClient policy_;
  requests::testing::FakeRequestsClient requests_;
  policy::PolicyPermissionChecker permissions_{&policy_};
  prometheus::Registry registry_;
  CaMetrics metrics_{registry_};
  std::unique_ptr<CaKeyring> keyring_;
  std::unique_ptr<CertIssuer> issuer_;
  Identity alice_;
  crypto::EvpPkeyPtr user_key_;
};

TEST_F(CertIssuerTest, UserCertCarriesAllowedLoginsRolesAndFourHours) {
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(UserRequest()));
  ASSERT_OK_AND_ASSIGN(auto cert, ssh::SshCertificate::FromLine(response.certificate()));
  EXPECT_OK(cert.VerifySignature());
  EXPECT_EQ(cert.signature_key().ToLine(), keyring_->Active(CaKind::kSshUser).public_key);
  EXPECT_EQ(cert.type(), ssh::SshCertType::kUser);
  EXPECT_THAT(cert.principals(), ElementsAre("alice", "ubuntu"));
  EXPECT_EQ(cert.valid_after(), ssh::ToCertTime(kT0 - absl::Minutes(1)));
  EXPECT_EQ(cert.valid_before(), ssh::ToCertTime(kT0 + absl::Hours(4)));
  EXPECT_EQ(cert.key_id(), absl::StrCat("alice//", cert.serial()));
  EXPECT_NE(cert.serial(), 0u);
  EXPECT_EQ(OptionValue(cert.extensions(), "permit-pty"), "<flag>");
  EXPECT_EQ(OptionValue(cert.extensions(), "jit-roles@jit-access"), "dev");
  EXPECT_EQ(OptionValue(cert.extensions(), "jit-requests@jit-access"), "");
  EXPECT_THAT(cert.critical_options(), IsEmpty());
  EXPECT_EQ(cert.key().ToLine(), ssh::SshPublicKey::FromLine(UserRequest().public_key())->ToLine());
  // Recorded and audited once.
  ASSERT_EQ(certs_.certs().size(), 1u);
  EXPECT_EQ(certs_.certs()[0].serial(), absl::StrCat(cert.serial()));
  EXPECT_EQ(certs_.certs()[0].public_key_fingerprint(), cert.key().Fingerprint());
  ASSERT_EQ(certs_.events().size(), 1u);
  EXPECT_EQ(certs_.events()[0].type(), "cert.issue");
  EXPECT_EQ(response.issued().serial(), absl::StrCat(cert.serial()));
  EXPECT_EQ(metrics_.issued(CaKind::kSshUser, IssueResult::kIssued), 1);
  EXPECT_EQ(metrics_.signings(CaKind::kSshUser), 1u);
  // Base roles only: requests was not asked.
  EXPECT_THAT(requests_.list_active_grants.requests(), IsEmpty());
}

TEST_F(CertIssuerTest, SerialsAreUnique) {
  ASSERT_OK_AND_ASSIGN(auto a, SignUser(UserRequest()));
  ASSERT_OK_AND_ASSIGN(auto b, SignUser(UserRequest()));
  EXPECT_NE(a.issued().serial(), b.issued().serial());
}

TEST_F(CertIssuerTest, GrantAddsItsRolesAndItsEndCapsValidity) {
  AnswerGrants({MakeGrant("g1", "dba", kT0 - absl::Minutes(5), kT0 + absl::Minutes(30))});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(request));
  ASSERT_OK_AND_ASSIGN(auto cert, ssh::SshCertificate::FromLine(response.certificate()));
  EXPECT_THAT(cert.principals(), ElementsAre("alice", "ubuntu", "postgres"));
  EXPECT_EQ(cert.valid_before(), ssh::ToCertTime(kT0 + absl::Minutes(30)));
  EXPECT_EQ(cert.key_id(), absl::StrCat("alice/g1/", cert.serial()));
  EXPECT_EQ(OptionValue(cert.extensions(), "jit-roles@jit-access"), "dev,dba");
  EXPECT_EQ(OptionValue(cert.extensions(), "jit-requests@jit-access"), "g1");
  ASSERT_EQ(requests_.list_active_grants.requests().size(), 1u);
  EXPECT_EQ(requests_.list_active_grants.requests()[0].user(), "alice");
  EXPECT_THAT(policy_.compute_cert_params.requests().back().roles(), ElementsAre("dev", "dba"));
  EXPECT_THAT(certs_.certs()[0].grant_ids(), ElementsAre("g1"));
}

TEST_F(CertIssuerTest, ShortestRoleTtlAndSessionExpiryCapValidity) {
  AnswerGrants({MakeGrant("g1", "dba", kT0 - absl::Minutes(5), kT0 + absl::Hours(10))});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(request));
  EXPECT_EQ(FromProtoTimestamp(response.issued().valid_before()), kT0 + absl::Hours(2));
  SetProtoTimestamp(kT0 + absl::Minutes(7), alice_.mutable_expire_time());
  ASSERT_OK_AND_ASSIGN(response, SignUser(request));
  EXPECT_EQ(FromProtoTimestamp(response.issued().valid_before()), kT0 + absl::Minutes(7));
}

TEST_F(CertIssuerTest, RequestedTtlShortensValidity) {
  auto request = UserRequest();
  request.mutable_ttl()->set_seconds(600);
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(request));
  EXPECT_EQ(FromProtoTimestamp(response.issued().valid_before()), kT0 + absl::Minutes(10));
}

TEST_F(CertIssuerTest, TtlAboveTheRolesMaximumIsRefusedNamingTheTtl) {
  auto request = UserRequest();
  request.mutable_ttl()->set_seconds(5 * 3600);
  EXPECT_THAT(SignUser(request), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("TTL")));
  EXPECT_THAT(certs_.certs(), IsEmpty());
  EXPECT_EQ(metrics_.refusals(RefusalReason::kTtl), 1);
  EXPECT_EQ(metrics_.issued(CaKind::kSshUser, IssueResult::kRefused), 1);
  // The refusal is audited: cert.issue, outcome denied, with the reason.
  const std::vector<jit::common::v1::AuditEvent> refusals = certs_.refusals();
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].type(), "cert.issue");
  EXPECT_EQ(refusals[0].outcome(), jit::common::v1::AuditEvent::OUTCOME_DENIED);
  EXPECT_EQ(refusals[0].details().fields().at("kind").string_value(), "ssh-user");
  EXPECT_EQ(refusals[0].details().fields().at("user").string_value(), "alice");
  EXPECT_THAT(refusals[0].details().fields().at("reason").string_value(), HasSubstr("TTL"));
  EXPECT_THAT(certs_.events(), IsEmpty());
}

TEST_F(CertIssuerTest, PrincipalsCanBeNarrowedButNotWidened) {
  auto request = UserRequest();
  request.add_principals("ubuntu");
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(request));
  EXPECT_THAT(response.issued().principals(), ElementsAre("ubuntu"));
  request.add_principals("root");
  EXPECT_THAT(SignUser(request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("principal \"root\"")));
  EXPECT_EQ(certs_.certs().size(), 1u);
  EXPECT_EQ(metrics_.refusals(RefusalReason::kPrincipal), 1);
}

TEST_F(CertIssuerTest, PinnedSourceAddressBecomesACriticalOption) {
  alice_.add_roles("pinned");
  ASSERT_OK_AND_ASSIGN(auto response, SignUser(UserRequest()));
  ASSERT_OK_AND_ASSIGN(auto cert, ssh::SshCertificate::FromLine(response.certificate()));
  EXPECT_EQ(OptionValue(cert.critical_options(), "source-address"), "10.0.0.0/8");
  EXPECT_EQ(OptionValue(cert.extensions(), "source-address"), "<absent>");
}

TEST_F(CertIssuerTest, RolePinningTheSourceIpPinsTheCallersAddress) {
  alice_.add_roles("pin-ip");
  for (const auto& [peer, ip] : std::vector<std::pair<std::string, std::string>>{
           {"ipv4:10.1.2.3:41234", "10.1.2.3"}, {"ipv6:[2001:db8::7]:5555", "2001:db8::7"}}) {
    ASSERT_OK_AND_ASSIGN(auto response,
                         issuer_->SignUserSshCert(
                             alice_, {.actor = "user:alice", .remote_addr = peer}, UserRequest()));
    ASSERT_OK_AND_ASSIGN(auto cert, ssh::SshCertificate::FromLine(response.certificate()));
    EXPECT_EQ(OptionValue(cert.critical_options(), "source-address"), ip);
  }
  EXPECT_THAT(issuer_->SignUserSshCert(alice_, {.actor = "user:alice", .remote_addr = "unix:/x"},
                                       UserRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("address")));
}

TEST_F(CertIssuerTest, RevokedGrantSignsNothing) {
  Grant g = MakeGrant("g1", "dba", kT0 - absl::Minutes(5), kT0 + absl::Hours(1));
  SetProtoTimestamp(kT0 - absl::Minutes(1), g.mutable_revoke_time());
  g.set_active(false);
  AnswerGrants({g});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  EXPECT_THAT(SignUser(request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("revoked")));
  EXPECT_THAT(certs_.certs(), IsEmpty());
}

TEST_F(CertIssuerTest, ExpiredGrantSignsNothing) {
  AnswerGrants({MakeGrant("g1", "dba", kT0 - absl::Hours(2), kT0 - absl::Hours(1))});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  EXPECT_THAT(SignUser(request), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ended")));
}

TEST_F(CertIssuerTest, GrantNotStartedSignsNothing) {
  AnswerGrants({MakeGrant("g1", "dba", kT0 + absl::Minutes(10), kT0 + absl::Hours(1))});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  EXPECT_THAT(SignUser(request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("has not started")));
}

TEST_F(CertIssuerTest, GrantOfAnotherUserSignsNothing) {
  AnswerGrants({MakeGrant("g1", "dba", kT0 - absl::Minutes(5), kT0 + absl::Hours(1), "bob")});
  auto request = UserRequest();
  request.add_grant_ids("g1");
  EXPECT_THAT(SignUser(request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another user")));
}

TEST_F(CertIssuerTest, GrantNotListedAsActiveSignsNothing) {
  AnswerGrants({});
  auto request = UserRequest();
  request.add_grant_ids("g9");
  EXPECT_THAT(SignUser(request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("\"g9\"")));
  EXPECT_EQ(metrics_.refusals(RefusalReason::kGrant), 1);
}

TEST_F(CertIssuerTest, RequestsDownIsUnavailableAndSignsNothing) {
  requests_.list_active_grants.Answer(absl::UnavailableError("requests down"));
  auto request = UserRequest();
  request.add_grant_ids("g1");
  EXPECT_THAT(SignUser(request), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(certs_.certs(), IsEmpty());
  EXPECT_EQ(metrics_.issued(CaKind::kSshUser, IssueResult::kError), 1);
  EXPECT_THAT(certs_.refusals(), IsEmpty());  // not a refusal: the CA could not decide
}

TEST_F(CertIssuerTest, PolicyDownIsUnavailable) {
  policy_.compute_cert_params.Answer(absl::UnavailableError("policy down"));
  EXPECT_THAT(SignUser(UserRequest()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(certs_.certs(), IsEmpty());
}

TEST_F(CertIssuerTest, RolesRequiringMfaNeedAnMfaSession) {
  alice_.add_roles("secure");
  EXPECT_THAT(SignUser(UserRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("MFA")));
  alice_.set_mfa_verified(true);
  EXPECT_OK(SignUser(UserRequest()).status());
}

TEST_F(CertIssuerTest, ExpiredSessionSignsNothing) {
  SetProtoTimestamp(kT0, alice_.mutable_expire_time());
  EXPECT_THAT(SignUser(UserRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
}

TEST_F(CertIssuerTest, ServicesGetNoUserCertificates) {
  alice_.set_kind(Identity::KIND_SERVICE);
  EXPECT_THAT(SignUser(UserRequest()), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CertIssuerTest, BadInputIsInvalidArgumentAndAsksNoPeer) {
  const std::string good = UserRequest().public_key();
  const auto weak = testing::NewClientKey("RSA-1024");
  for (const std::string& key :
       {std::string(""), std::string("ssh-ed25519"), good.substr(0, good.size() / 2),
        std::string("ssh-dss AAAAB3NzaC1kc3MAAACBAP"), testing::SshPublicKeyLine(weak.get()),
        std::string("ssh-ed25519 !!!notbase64")}) {
    auto request = UserRequest();
    request.set_public_key(key);
    EXPECT_THAT(SignUser(request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("public_key")))
        << key;
  }
  auto zero_ttl = UserRequest();
  zero_ttl.mutable_ttl();
  EXPECT_THAT(SignUser(zero_ttl), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
  auto negative_ttl = UserRequest();
  negative_ttl.mutable_ttl()->set_seconds(-5);
  EXPECT_THAT(SignUser(negative_ttl), StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad_grant = UserRequest();
  bad_grant.add_grant_ids("a/b");
  EXPECT_THAT(SignUser(bad_grant), StatusIs(absl::StatusCode::kInvalidArgument));
  auto twice = UserRequest();
  twice.add_grant_ids("g1");
  twice.add_grant_ids("g1");
  EXPECT_THAT(SignUser(twice), StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad_principal = UserRequest();
  bad_principal.add_principals("a\nb");
  EXPECT_THAT(SignUser(bad_principal), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(policy_.compute_cert_params.requests(), IsEmpty());
  EXPECT_THAT(certs_.certs(), IsEmpty());
  EXPECT_THAT(certs_.events(), IsEmpty());
  // Each refusal is audited (outcome failure), nothing else recorded.
  const std::vector<jit::common::v1::AuditEvent> refusals = certs_.refusals();
  ASSERT_FALSE(refusals.empty());
  for (const auto& e : refusals) {
    EXPECT_EQ(e.type(), "cert.issue");
    EXPECT_EQ(e.outcome(), jit::common::v1::AuditEvent::OUTCOME_FAILURE);
    EXPECT_EQ(e.details().fields().at("code").string_value(), "INVALID_ARGUMENT");
  }
}

TEST_F(CertIssuerTest, FailedRecordHandsOutNoCertificate) {
  certs_.set_error(absl::UnavailableError("database down"));
  EXPECT_THAT(SignUser(UserRequest()), StatusIs(absl::StatusCode::kUnavailable));
}

// ---- host certificates ----

TEST_F(CertIssuerTest, HostCertNeedsCertAuthorityCreate) {
  v1::SignHostSshCertRequest request;
  request.set_public_key(testing::SshPublicKeyLine(user_key_.get()));
  request.add_principals("web-1.example.com");
  AllowPermissions(false);
  EXPECT_THAT(issuer_->SignHostSshCert(alice_, {}, request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("cert_authority")));
  EXPECT_EQ(policy_.check_permission.requests().back().resource(), "cert_authority");
  EXPECT_EQ(policy_.check_permission.requests().back().verb(), "create");
  AllowPermissions(true);
  request.add_principals("10.0.0.5");
  ASSERT_OK_AND_ASSIGN(auto response, issuer_->SignHostSshCert(alice_, {}, request));
  ASSERT_OK_AND_ASSIGN(auto cert, ssh::SshCertificate::FromLine(response.certificate()));
  EXPECT_EQ(cert.type(), ssh::SshCertType::kHost);
  EXPECT_THAT(cert.principals(), ElementsAre("web-1.example.com", "10.0.0.5"));
  EXPECT_EQ(cert.signature_key().ToLine(), keyring_->Active(CaKind::kSshHost).public_key);
  EXPECT_EQ(cert.valid_before(), ssh::ToCertTime(kT0 + absl::Hours(24 * 30)));
  EXPECT_EQ(certs_.certs().back().kind(), jit::common::v1::CERTIFICATE_KIND_SSH_HOST);
}

TEST_F(CertIssuerTest, HostCertRefusesWildcardsAndNoNames) {
  AllowPermissions(true);
  v1::SignHostSshCertRequest request;
  request.set_public_key(testing::SshPublicKeyLine(user_key_.get()));
  EXPECT_THAT(issuer_->SignHostSshCert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.add_principals("*.example.com");
  EXPECT_THAT(issuer_->SignHostSshCert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(certs_.certs(), IsEmpty());
}

// ---- X.509 client certificates ----

v1::SignUserX509CertRequest DbRequest(EVP_PKEY* key, const std::string& db_user) {
  v1::SignUserX509CertRequest r;
  r.set_csr_pem(testing::CsrPem(key, "ignored-cn"));
  r.set_target(v1::SignUserX509CertRequest::TARGET_DATABASE);
  r.set_db_user(db_user);
  return r;
}

TEST_F(CertIssuerTest, DatabaseCertHasTheDbUserAsCommonName) {
  auto key = testing::NewClientKey("P-256");
  ASSERT_OK_AND_ASSIGN(auto response,
                       issuer_->SignUserX509Cert(alice_, {}, DbRequest(key.get(), "app_ro")));
  ASSERT_OK_AND_ASSIGN(auto cert, pki::ParseCertificatePem(response.certificate_pem()));
  ASSERT_OK_AND_ASSIGN(auto info, pki::DescribeCertificate(cert.get()));
  EXPECT_EQ(info.common_name, "app_ro");
  EXPECT_EQ(info.not_before, kT0 - absl::Minutes(1));
  EXPECT_EQ(info.not_after, kT0 + absl::Hours(4));
  ASSERT_OK_AND_ASSIGN(auto ca, pki::ParseCertificatePem(response.ca_chain_pem()));
  EXPECT_OK(pki::VerifyCertificate(cert.get(), ca.get(), kT0, /*server_auth=*/false,
                                   /*client_auth=*/true));
  ASSERT_OK_AND_ASSIGN(auto ext, pki::ReadJitAccessExtension(cert.get()));
  ASSERT_TRUE(ext.has_value());
  EXPECT_THAT(ext->roles, ElementsAre("dev"));
  EXPECT_EQ(certs_.certs().back().kind(), jit::common::v1::CERTIFICATE_KIND_X509_CLIENT);
  EXPECT_THAT(certs_.certs().back().principals(), ElementsAre("CN=app_ro"));
}

TEST_F(CertIssuerTest, DatabaseUserAndNameBeyondPolicyAreRefusedByName) {
  auto key = testing::NewClientKey("P-256");
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, DbRequest(key.get(), "postgres")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("db user \"postgres\"")));
  auto request = DbRequest(key.get(), "app_ro");
  request.set_db_name("billing");
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("db name \"billing\"")));
  EXPECT_THAT(certs_.certs(), IsEmpty());
}

TEST_F(CertIssuerTest, KubernetesCertHasUserAndGroups) {
  auto key = testing::NewClientKey("ED25519");
  v1::SignUserX509CertRequest request;
  request.set_public_key_pem(testing::PublicKeyPem(key.get()));
  request.set_target(v1::SignUserX509CertRequest::TARGET_KUBERNETES);
  request.add_kubernetes_groups("viewers");
  ASSERT_OK_AND_ASSIGN(auto response, issuer_->SignUserX509Cert(alice_, {}, request));
  EXPECT_THAT(response.issued().principals(), ElementsAre("CN=alice", "O=viewers"));
  request.add_kubernetes_groups("system:masters");
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("\"system:masters\"")));
  EXPECT_EQ(metrics_.refusals(RefusalReason::kGroup), 1);
}

TEST_F(CertIssuerTest, BadX509InputIsInvalidArgument) {
  auto key = testing::NewClientKey("P-256");
  auto request = DbRequest(key.get(), "app_ro");
  request.set_target(v1::SignUserX509CertRequest::TARGET_UNSPECIFIED);
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target")));
  request = DbRequest(key.get(), "app_ro");
  request.set_csr_pem(request.csr_pem().substr(0, 100));
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("csr_pem")));
  request = DbRequest(key.get(), "app_ro");
  request.set_csr_pem(std::string(20000, 'A'));
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request = DbRequest(key.get(), "app_ro");
  request.set_public_key_pem(testing::PublicKeyPem(key.get()));
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto weak = testing::NewClientKey("RSA-1024");
  EXPECT_THAT(issuer_->SignUserX509Cert(alice_, {}, DbRequest(weak.get(), "app_ro")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(policy_.compute_cert_params.requests(), IsEmpty());
  EXPECT_THAT(certs_.certs(), IsEmpty());
}

// ---- trust and listing ----

TEST_F(CertIssuerTest, PublicKeysAreReadyToUseFiles) {
  v1::GetCaPublicKeysRequest request;
  request.set_known_hosts_pattern("[127.0.0.1]:2222");
  ASSERT_OK_AND_ASSIGN(auto response, issuer_->GetCaPublicKeys(request));
  EXPECT_EQ(response.keys_size(), 3);
  EXPECT_THAT(response.trusted_user_ca_keys(),
              HasSubstr(keyring_->Active(CaKind::kSshUser).public_key));
  EXPECT_EQ(response.known_hosts(), absl::StrCat("@cert-authority [127.0.0.1]:2222 ",
                                                 keyring_->Active(CaKind::kSshHost).public_key, " ",
                                                 keyring_->Active(CaKind::kSshHost).key_id, "\n"));
  EXPECT_EQ(response.x509_ca_bundle_pem(), keyring_->Active(CaKind::kX509User).public_key);
  request.set_known_hosts_pattern("a b");
  EXPECT_THAT(issuer_->GetCaPublicKeys(request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CertIssuerTest, ListingShowsOwnCertificatesWithoutPermission) {
  ASSERT_OK(SignUser(UserRequest()).status());
  Identity bob = alice_;
  bob.set_name("bob");
  ASSERT_OK(issuer_->SignUserSshCert(bob, {}, UserRequest()).status());
  AllowPermissions(false);
  ASSERT_OK_AND_ASSIGN(auto mine, issuer_->ListIssuedCerts(alice_, {}));
  ASSERT_EQ(mine.certs_size(), 1);
  EXPECT_EQ(mine.certs(0).user(), "alice");
  v1::ListIssuedCertsRequest others;
  others.set_user("bob");
  EXPECT_THAT(issuer_->ListIssuedCerts(alice_, others),
              StatusIs(absl::StatusCode::kPermissionDenied));
  AllowPermissions(true);
  ASSERT_OK_AND_ASSIGN(auto all, issuer_->ListIssuedCerts(alice_, {}));
  EXPECT_EQ(all.certs_size(), 2);
  ASSERT_OK_AND_ASSIGN(auto bobs, issuer_->ListIssuedCerts(alice_, others));
  ASSERT_EQ(bobs.certs_size(), 1);
  EXPECT_EQ(bobs.certs(0).user(), "bob");
}

}  // namespace
}  // namespace jit::ca
