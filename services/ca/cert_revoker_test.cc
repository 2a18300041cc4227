// CertRevoker with fakes (policy, requests, the revocation store) and a FakeClock: the
// revocation rules of issue 11 (RevokeCerts, the KRL and CRL, following revoked grants).
#include "services/ca/cert_revoker.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/pki/crl.h"
#include "common/proto_time.h"
#include "common/ssh/krl.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/testing/in_memory_ca_key_store.h"
#include "services/ca/testing/in_memory_revocation_store.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"
#include "services/requests/client/testing/fake_requests_client.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::Grant;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

struct CrlView {
  std::vector<std::string> serials;  // lowercase hex, whole bytes
  long number = -1;
};

CrlView ReadCrl(const std::string& der) {
  CrlView view;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
  if (crl == nullptr) return view;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    char* hex = BN_bn2hex(bn);
    std::string s(hex);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    view.serials.push_back(s);
    OPENSSL_free(hex);
    BN_free(bn);
  }
  ASN1_INTEGER* number =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  if (number != nullptr) {
    view.number = ASN1_INTEGER_get(number);
    ASN1_INTEGER_free(number);
  }
  X509_CRL_free(crl);
  return view;
}

class CertRevokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(keyring_, CaKeyring::Open(keys_, clock_));
    revoker_ =
        std::make_unique<CertRevoker>(keyring_.get(), &store_, &permissions_, &requests_, &clock_);
    admin_.set_kind(Identity::KIND_USER);
    admin_.set_name("admin");
    requests_service_.set_kind(Identity::KIND_SERVICE);
    requests_service_.set_name("requests");
  }

  // A certificate as the issuer records it, valid for an hour from now.
  void AddCert(CaKind kind, const std::string& serial, std::vector<std::string> grants = {},
               absl::Duration valid = absl::Hours(1)) {
    store_.Add({.kind = kind,
                .serial = serial,
                .ca_key_id = keyring_->Active(kind).key_id,
                .key_id = absl::StrCat("alice/", serial),
                .valid_before = clock_.Now() + valid},
               std::move(grants));
  }
  void AllowPermissions(bool allowed) {
    policy::v1::CheckPermissionResponse r;
    r.set_allowed(allowed);
    policy_.check_permission.Answer(r);
  }
  v1::RevokeCertsRequest Serials(std::vector<std::string> serials) {
    v1::RevokeCertsRequest r;
    for (auto& s : serials) r.add_serials(s);
    r.set_reason("key lost");
    return r;
  }
  absl::StatusOr<v1::RevokeCertsResponse> Revoke(const v1::RevokeCertsRequest& r) {
    return revoker_->RevokeCerts(admin_, {.actor = "user:admin"}, r);
  }
  absl::StatusOr<ssh::Krl> SshKrl() {
    v1::GetRevocationListRequest r;
    r.set_type(v1::CA_TYPE_SSH_USER);
    ASSIGN_OR_RETURN(v1::GetRevocationListResponse list, revoker_->GetRevocationList(r));
    return ssh::Krl::Parse(list.revocation_list());
  }
  absl::StatusOr<v1::GetRevocationListResponse> X509Crl() {
    v1::GetRevocationListRequest r;
    r.set_type(v1::CA_TYPE_X509_USER);
    return revoker_->GetRevocationList(r);
  }
  const std::string& SshCaWire() {
    return keyring_->Active(CaKind::kSshUser).ssh->public_key().wire();
  }
  void RevokeGrantInRequests(const std::string& id) {
    Grant g;
    g.set_id(id);
    g.set_user("alice");
    g.set_revoked_by("bob");
    g.set_revoke_reason("done early");
    SetProtoTimestamp(clock_.Now(), g.mutable_revoke_time());
    SetProtoTimestamp(clock_.Now() + absl::Hours(1), g.mutable_expire_time());
    requests::v1::ListActiveGrantsResponse r;
    *r.add_grants() = g;
    requests_.list_active_grants.Answer(r);
  }

  FakeClock clock_{kT0};
  testing::InMemoryCaKeyStore keys_;
  testing::InMemoryRevocationStore store_;
  policy::testing::FakePolicyClient policy_;
  requests::testing::FakeRequestsClient requests_;
  policy::PolicyPermissionChecker permissions_{&policy_};
  std::unique_ptr<CaKeyring> keyring_;
  std::unique_ptr<CertRevoker> revoker_;
  Identity admin_;
  Identity requests_service_;
};

TEST_F(CertRevokerTest, RevokedSerialsAreInTheKrlAndOthersAreNot) {
  AddCert(CaKind::kSshUser, "17");
  AddCert(CaKind::kSshUser, "18");
  AddCert(CaKind::kSshUser, "19");
  AllowPermissions(true);
  ASSERT_OK_AND_ASSIGN(v1::RevokeCertsResponse response, Revoke(Serials({"17", "19"})));
  EXPECT_THAT(response.revoked_serials(), ElementsAre("17", "19"));
  EXPECT_EQ(response.newly_revoked(), 2);
  ASSERT_OK_AND_ASSIGN(ssh::Krl krl, SshKrl());
  EXPECT_TRUE(krl.IsSerialRevoked(SshCaWire(), 17));
  EXPECT_FALSE(krl.IsSerialRevoked(SshCaWire(), 18));
  EXPECT_TRUE(krl.IsSerialRevoked(SshCaWire(), 19));
  ASSERT_THAT(store_.events(), SizeIs(1));
  EXPECT_EQ(store_.events()[0].type(), "cert.revoke");
  EXPECT_EQ(store_.events()[0].actor(), "user:admin");
}

TEST_F(CertRevokerTest, RevokingAgainChangesNothingAndWritesNoEvent) {
  AddCert(CaKind::kSshUser, "17");
  AllowPermissions(true);
  ASSERT_THAT(Revoke(Serials({"17"})), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::RevokeCertsResponse again, Revoke(Serials({"17"})));
  EXPECT_THAT(again.revoked_serials(), ElementsAre("17"));
  EXPECT_EQ(again.newly_revoked(), 0);
  EXPECT_THAT(store_.events(), SizeIs(1));
}

TEST_F(CertRevokerTest, AnUnknownSerialIsNotFoundAndNothingIsRevoked) {
  AddCert(CaKind::kSshUser, "17");
  AllowPermissions(true);
  EXPECT_THAT(Revoke(Serials({"17", "99"})),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("99")));
  ASSERT_OK_AND_ASSIGN(ssh::Krl krl, SshKrl());
  EXPECT_FALSE(krl.IsSerialRevoked(SshCaWire(), 17));
  EXPECT_THAT(store_.events(), IsEmpty());
}

TEST_F(CertRevokerTest, BadInputIsInvalidBeforeAnythingIsAsked) {
  v1::RevokeCertsRequest no_reason = Serials({"17"});
  no_reason.clear_reason();
  EXPECT_THAT(Revoke(no_reason), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(Revoke(Serials({})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Revoke(Serials({"12z"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("serials[0]")));
  v1::RevokeCertsRequest hex_for_ssh = Serials({"ab"});
  hex_for_ssh.set_type(v1::CA_TYPE_SSH_USER);
  EXPECT_THAT(Revoke(hex_for_ssh), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::RevokeCertsRequest bad_type = Serials({"17"});
  bad_type.set_type(static_cast<v1::CaType>(42));
  EXPECT_THAT(Revoke(bad_type), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
  EXPECT_THAT(policy_.check_permission.requests(), IsEmpty());
}

TEST_F(CertRevokerTest, ASerialOfSeveralKindsNeedsTheType) {
  AddCert(CaKind::kSshUser, "17");
  AddCert(CaKind::kX509User, "17");
  AllowPermissions(true);
  EXPECT_THAT(Revoke(Serials({"17"})), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::RevokeCertsRequest typed = Serials({"17"});
  typed.set_type(v1::CA_TYPE_X509_USER);
  ASSERT_OK_AND_ASSIGN(v1::RevokeCertsResponse response, Revoke(typed));
  EXPECT_EQ(response.newly_revoked(), 1);
  ASSERT_OK_AND_ASSIGN(ssh::Krl krl, SshKrl());
  EXPECT_FALSE(krl.IsSerialRevoked(SshCaWire(), 17));
  ASSERT_OK_AND_ASSIGN(v1::GetRevocationListResponse crl, X509Crl());
  EXPECT_THAT(ReadCrl(crl.revocation_list()).serials, ElementsAre("17"));
}

TEST_F(CertRevokerTest, PeopleNeedThePermissionAndRequestsDoesNot) {
  AddCert(CaKind::kSshUser, "17");
  AllowPermissions(false);
  EXPECT_THAT(Revoke(Serials({"17"})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("cert_authority revoke")));
  EXPECT_THAT(store_.events(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(
      v1::RevokeCertsResponse response,
      revoker_->RevokeCerts(requests_service_, {.actor = "service:requests"}, Serials({"17"})));
  EXPECT_EQ(response.newly_revoked(), 1);
}

TEST_F(CertRevokerTest, ByGrantRevokesEveryCertificateOfTheGrant) {
  AddCert(CaKind::kSshUser, "17", {"g1"});
  AddCert(CaKind::kX509User, "0a1b", {"g1", "g2"});
  AddCert(CaKind::kSshUser, "18", {"g2"});
  AllowPermissions(true);
  v1::RevokeCertsRequest by_grant;
  by_grant.set_grant_id("g1");
  by_grant.set_reason("incident");
  ASSERT_OK_AND_ASSIGN(v1::RevokeCertsResponse response, Revoke(by_grant));
  EXPECT_THAT(response.revoked_serials(), ElementsAre("17", "0a1b"));
  ASSERT_OK_AND_ASSIGN(ssh::Krl krl, SshKrl());
  EXPECT_TRUE(krl.IsSerialRevoked(SshCaWire(), 17));
  EXPECT_FALSE(krl.IsSerialRevoked(SshCaWire(), 18));
  ASSERT_THAT(store_.events(), SizeIs(1));
  EXPECT_EQ(store_.events()[0].target(), "grant:g1");
}

TEST_F(CertRevokerTest, TheCrlCarriesTimesAndANumberThatGrowsWithItsContent) {
  AddCert(CaKind::kX509User, "0a1b");
  AddCert(CaKind::kX509User, "0c2d");
  AllowPermissions(true);
  ASSERT_OK_AND_ASSIGN(v1::GetRevocationListResponse empty, X509Crl());
  EXPECT_THAT(ReadCrl(empty.revocation_list()).serials, IsEmpty());
  const long first = ReadCrl(empty.revocation_list()).number;
  ASSERT_OK_AND_ASSIGN(v1::GetRevocationListResponse same, X509Crl());
  EXPECT_EQ(ReadCrl(same.revocation_list()).number, first);
  ASSERT_THAT(Revoke(Serials({"0A1B"})), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::GetRevocationListResponse crl, X509Crl());
  const CrlView view = ReadCrl(crl.revocation_list());
  EXPECT_THAT(view.serials, ElementsAre("0a1b"));  // BN_bn2hex: whole bytes
  EXPECT_EQ(view.number, first + 1);
  EXPECT_THAT(crl.crl_pem(), HasSubstr("-----BEGIN X509 CRL-----"));
  EXPECT_EQ(FromProtoTimestamp(crl.this_update()), clock_.Now() - pki::kCrlBackdate);
  EXPECT_EQ(FromProtoTimestamp(crl.next_update()), clock_.Now() + absl::Hours(24));
}

TEST_F(CertRevokerTest, ExpiredCertificatesDropOffTheLists) {
  AddCert(CaKind::kSshUser, "17", {}, absl::Minutes(10));
  AddCert(CaKind::kSshUser, "18", {}, absl::Hours(2));
  AllowPermissions(true);
  ASSERT_THAT(Revoke(Serials({"17", "18"})), IsOk());
  ASSERT_OK_AND_ASSIGN(ssh::Krl before, SshKrl());
  EXPECT_TRUE(before.IsSerialRevoked(SshCaWire(), 17));
  clock_.Advance(absl::Minutes(11));
  ASSERT_OK_AND_ASSIGN(ssh::Krl after, SshKrl());
  EXPECT_FALSE(after.IsSerialRevoked(SshCaWire(), 17));
  EXPECT_TRUE(after.IsSerialRevoked(SshCaWire(), 18));
  EXPECT_GT(after.version(), before.version());
}

TEST_F(CertRevokerTest, AStoreThatIsDownIsUnavailableNeverAnEmptyList) {
  store_.set_error(absl::UnavailableError("database down"));
  EXPECT_THAT(SshKrl(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(X509Crl(), StatusIs(absl::StatusCode::kUnavailable));
  v1::GetRevocationListRequest unknown;
  EXPECT_THAT(revoker_->GetRevocationList(unknown), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CertRevokerTest, ARevokedGrantInRequestsRevokesItsCertificatesOnce) {
  AddCert(CaKind::kSshUser, "17", {"g1"});
  AddCert(CaKind::kSshUser, "18", {"g2"});
  RevokeGrantInRequests("g1");
  ASSERT_OK_AND_ASSIGN(int revoked, revoker_->FollowRevokedGrants());
  EXPECT_EQ(revoked, 1);
  ASSERT_THAT(requests_.list_active_grants.requests(), SizeIs(1));
  EXPECT_TRUE(requests_.list_active_grants.requests()[0].revoked_only());
  ASSERT_OK_AND_ASSIGN(ssh::Krl krl, SshKrl());
  EXPECT_TRUE(krl.IsSerialRevoked(SshCaWire(), 17));
  EXPECT_FALSE(krl.IsSerialRevoked(SshCaWire(), 18));
  ASSERT_THAT(store_.events(), SizeIs(1));
  EXPECT_EQ(store_.events()[0].actor(), "system");
  EXPECT_EQ(store_.events()[0].target(), "grant:g1");
  ASSERT_OK_AND_ASSIGN(revoked, revoker_->FollowRevokedGrants());
  EXPECT_EQ(revoked, 0);
  EXPECT_THAT(store_.events(), SizeIs(1));
}

TEST_F(CertRevokerTest, FollowingFailsWhenRequestsIsDown) {
  requests_.list_active_grants.Answer(absl::UnavailableError("requests down"));
  EXPECT_THAT(revoker_->FollowRevokedGrants(), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::ca
