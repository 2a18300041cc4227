// PostgresRevocationStore against a real PostgreSQL: a revocation and its cert.revoke event
// in one transaction (none when nothing changed), unknown and ambiguous serials change
// nothing, revocation by grant, and list numbers that replicas share and that grow with the
// content (also when a certificate expires off the list).
#include "services/ca/postgres_revocation_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/postgres_issued_cert_store.h"
#include "services/ca/testing/ca_database.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::AuditEvent;
using ::jit::common::v1::IssuedCertificate;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

AuditEvent Event(const std::string& type) {
  return *audit::NewAuditEvent("ca", type, kT0, {.actor = "user:admin"}, "cert:x",
                               AuditEvent::OUTCOME_SUCCESS, "test");
}

std::vector<std::string> SerialsOf(const std::vector<RevokedCert>& certs) {
  std::vector<std::string> out;
  for (const auto& c : certs) out.push_back(c.serial);
  return out;
}

class PostgresRevocationStoreTest : public testing::CaDatabaseTest {
 protected:
  void SetUp() override {
    CaDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* kind : {"ssh-user", "x509-user"}) {
      QueryValue(absl::StrCat(
          "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, "
          "sealed_private_key, create_time, state_time) VALUES ('k-",
          kind, "', '", kind, "', 'ed25519', 'active', 'k', '\\x00', now(), now()) RETURNING 1"));
    }
    certs_ = std::make_unique<PostgresIssuedCertStore>(&pool());
    store_ = std::make_unique<PostgresRevocationStore>(&pool());
  }

  void Record(const std::string& serial, std::vector<std::string> grants = {},
              absl::Duration valid = absl::Hours(1),
              jit::common::v1::CertificateKind kind = jit::common::v1::CERTIFICATE_KIND_SSH_USER) {
    IssuedCertificate c;
    c.set_serial(serial);
    c.set_kind(kind);
    c.set_key_id(absl::StrCat("alice//", serial));
    c.add_principals("root");
    c.set_user("alice");
    for (auto& g : grants) c.add_grant_ids(g);
    c.set_public_key_fingerprint("SHA256:abc");
    c.set_ca_key_id(kind == jit::common::v1::CERTIFICATE_KIND_X509_CLIENT ? "k-x509-user"
                                                                          : "k-ssh-user");
    c.set_certificate("cert");
    SetProtoTimestamp(kT0 - absl::Minutes(1), c.mutable_valid_after());
    SetProtoTimestamp(kT0 + valid, c.mutable_valid_before());
    ASSERT_THAT(certs_->Record(c, kT0, Event("cert.issue")), IsOk());
  }

  absl::StatusOr<RevokeResult> Revoke(RevokeSelection selection, absl::Time now = kT0) {
    return store_->Revoke(selection, now, "key lost",
                          [](const std::vector<RevokedCert>&) -> absl::StatusOr<AuditEvent> {
                            return Event("cert.revoke");
                          });
  }
  std::string RevokeEvents() {
    return QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'cert.revoke'");
  }

  std::unique_ptr<PostgresIssuedCertStore> certs_;
  std::unique_ptr<PostgresRevocationStore> store_;
};

TEST_F(PostgresRevocationStoreTest, RevokeMarksTheCertificatesAndWritesOneEvent) {
  Record("17");
  Record("18");
  ASSERT_OK_AND_ASSIGN(RevokeResult r, Revoke({.serials = {{.serial = "18"}, {.serial = "17"}}}));
  EXPECT_THAT(SerialsOf(r.selected), ElementsAre("18", "17"));
  EXPECT_THAT(SerialsOf(r.newly_revoked), ElementsAre("18", "17"));
  EXPECT_EQ(QueryValue("SELECT string_agg(serial || ':' || revoke_reason, ',' ORDER BY serial) "
                       "FROM ca.issued_certs WHERE revoke_time IS NOT NULL"),
            "17:key lost,18:key lost");
  EXPECT_EQ(RevokeEvents(), "1");
}

TEST_F(PostgresRevocationStoreTest, RevokingAgainKeepsTheFirstTimeAndWritesNothing) {
  Record("17");
  ASSERT_THAT(Revoke({.serials = {{.serial = "17"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(RevokeResult again,
                       Revoke({.serials = {{.serial = "17"}}}, kT0 + absl::Minutes(5)));
  EXPECT_THAT(SerialsOf(again.selected), ElementsAre("17"));
  EXPECT_THAT(again.newly_revoked, IsEmpty());
  EXPECT_EQ(again.selected[0].revoke_time, kT0);
  EXPECT_EQ(RevokeEvents(), "1");
}

TEST_F(PostgresRevocationStoreTest, AnUnknownSerialChangesNothing) {
  Record("17");
  EXPECT_THAT(Revoke({.serials = {{.serial = "17"}, {.serial = "99"}}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("99")));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.issued_certs WHERE revoke_time IS NOT NULL"), "0");
  EXPECT_EQ(RevokeEvents(), "0");
}

TEST_F(PostgresRevocationStoreTest, ASerialOfTwoKindsNeedsItsKind) {
  Record("17");
  Record("17", {}, absl::Hours(1), jit::common::v1::CERTIFICATE_KIND_X509_CLIENT);
  EXPECT_THAT(Revoke({.serials = {{.serial = "17"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("17")));
  ASSERT_OK_AND_ASSIGN(RevokeResult r,
                       Revoke({.serials = {{.kind = CaKind::kX509User, .serial = "17"}}}));
  ASSERT_EQ(r.newly_revoked.size(), 1u);
  EXPECT_EQ(r.newly_revoked[0].kind, CaKind::kX509User);
}

TEST_F(PostgresRevocationStoreTest, ByGrantSelectsTheGrantsCertificates) {
  Record("17", {"g1"});
  Record("18", {"g2", "g1"});
  Record("19", {"g2"});
  ASSERT_OK_AND_ASSIGN(RevokeResult r, Revoke({.grant_id = "g1"}));
  EXPECT_THAT(SerialsOf(r.newly_revoked), ElementsAre("17", "18"));
  ASSERT_OK_AND_ASSIGN(RevokeResult none, Revoke({.grant_id = "g9"}));
  EXPECT_THAT(none.selected, IsEmpty());
  EXPECT_EQ(RevokeEvents(), "1");
}

TEST_F(PostgresRevocationStoreTest, PublishNumbersGrowWithTheContentAndExpiredCertsDropOff) {
  Record("17", {}, absl::Minutes(10));
  Record("18");
  const absl::Duration reissue = absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(PublishedRevocations empty, store_->Publish(CaKind::kSshUser, kT0, reissue));
  EXPECT_THAT(empty.revoked, IsEmpty());
  EXPECT_EQ(empty.number, 1u);
  ASSERT_THAT(Revoke({.serials = {{.serial = "17"}, {.serial = "18"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(PublishedRevocations two,
                       store_->Publish(CaKind::kSshUser, kT0 + absl::Seconds(1), reissue));
  EXPECT_THAT(SerialsOf(two.revoked), ElementsAre("17", "18"));
  EXPECT_EQ(two.number, 2u);
  EXPECT_EQ(two.this_update, kT0 + absl::Seconds(1));
  // Another replica (another store on the same database) a bit later: the same list.
  PostgresRevocationStore replica(&pool());
  ASSERT_OK_AND_ASSIGN(PublishedRevocations same,
                       replica.Publish(CaKind::kSshUser, kT0 + absl::Seconds(2), reissue));
  EXPECT_EQ(same.number, 2u);
  EXPECT_EQ(same.this_update, kT0 + absl::Seconds(1));
  // Other kinds have their own numbers.
  ASSERT_OK_AND_ASSIGN(PublishedRevocations x509,
                       store_->Publish(CaKind::kX509User, kT0 + absl::Seconds(2), reissue));
  EXPECT_EQ(x509.number, 1u);
  // 17 expires: the list changes.
  ASSERT_OK_AND_ASSIGN(PublishedRevocations later,
                       store_->Publish(CaKind::kSshUser, kT0 + absl::Minutes(11), reissue));
  EXPECT_THAT(SerialsOf(later.revoked), ElementsAre("18"));
  EXPECT_EQ(later.number, 3u);
  // Unchanged but due: reissued.
  ASSERT_OK_AND_ASSIGN(PublishedRevocations due,
                       store_->Publish(CaKind::kSshUser, kT0 + absl::Minutes(72), reissue));
  EXPECT_EQ(due.number, 4u);
  EXPECT_EQ(due.this_update, kT0 + absl::Minutes(72));
}

}  // namespace
}  // namespace jit::ca
