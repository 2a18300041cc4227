// PostgresIssuedCertStore against a real PostgreSQL: a record and its cert.issue event in one
// transaction, duplicate serials refused, filters and pages.
#include "services/ca/postgres_issued_cert_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/testing/ca_database.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::IssuedCertificate;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

jit::common::v1::AuditEvent Event() {
  return *audit::NewAuditEvent("ca", "cert.issue", kT0, {.actor = "user:alice"}, "cert:x",
                               jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "test");
}

class PostgresIssuedCertStoreTest : public testing::CaDatabaseTest {
 protected:
  void SetUp() override {
    CaDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    QueryValue(
        "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, "
        "sealed_private_key, create_time, state_time) VALUES ('k1', 'ssh-user', 'ed25519', "
        "'active', 'k', '\\x00', now(), now()) RETURNING 1");
    store_ = std::make_unique<PostgresIssuedCertStore>(&pool());
  }

  IssuedCertificate Cert(
      const std::string& serial, const std::string& user, std::vector<std::string> grants,
      absl::Time after, absl::Time before,
      jit::common::v1::CertificateKind kind = jit::common::v1::CERTIFICATE_KIND_SSH_USER) {
    IssuedCertificate c;
    c.set_serial(serial);
    c.set_kind(kind);
    c.set_key_id(absl::StrCat(user, "//", serial));
    c.add_principals("root");
    c.add_principals("ubuntu");
    c.set_user(user);
    for (auto& g : grants) c.add_grant_ids(g);
    c.set_public_key_fingerprint("SHA256:abc");
    c.set_ca_key_id("k1");
    c.set_certificate("ssh-ed25519-cert-v01@openssh.com AAAA");
    SetProtoTimestamp(after, c.mutable_valid_after());
    SetProtoTimestamp(before, c.mutable_valid_before());
    return c;
  }

  std::vector<std::string> Serials(const IssuedCertPage& page) {
    std::vector<std::string> out;
    for (const auto& c : page.certs) out.push_back(c.serial());
    return out;
  }

  std::unique_ptr<PostgresIssuedCertStore> store_;
};

TEST_F(PostgresIssuedCertStoreTest, RecordRefusalWritesOnlyTheEvent) {
  ASSERT_OK(store_->RecordRefusal(*audit::NewAuditEvent(
      "ca", "cert.issue", kT0, {.actor = "user:alice"}, "cert:ssh-user",
      jit::common::v1::AuditEvent::OUTCOME_DENIED, "ssh-user certificate refused")));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'cert.issue'"), "1");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.issued_certs"), "0");
}

TEST_F(PostgresIssuedCertStoreTest, RecordStoresTheCertificateAndItsEvent) {
  const IssuedCertificate cert = Cert("1", "alice", {"g1", "g2"}, kT0, kT0 + absl::Hours(1));
  ASSERT_OK(store_->Record(cert, kT0, Event()));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'cert.issue'"), "1");
  ASSERT_OK_AND_ASSIGN(IssuedCertPage page, store_->List({}, 10, ""));
  ASSERT_EQ(page.certs.size(), 1u);
  EXPECT_EQ(page.certs[0].SerializeAsString(), cert.SerializeAsString());
  EXPECT_EQ(page.next_page_token, "");
}

TEST_F(PostgresIssuedCertStoreTest, EmptyGrantListRoundTrips) {
  ASSERT_OK(store_->Record(Cert("1", "alice", {}, kT0, kT0 + absl::Hours(1)), kT0, Event()));
  ASSERT_OK_AND_ASSIGN(IssuedCertPage page, store_->List({}, 10, ""));
  ASSERT_EQ(page.certs.size(), 1u);
  EXPECT_EQ(page.certs[0].grant_ids_size(), 0);
}

TEST_F(PostgresIssuedCertStoreTest, DuplicateSerialIsAlreadyExistsAndWritesNoEvent) {
  ASSERT_OK(store_->Record(Cert("7", "alice", {}, kT0, kT0 + absl::Hours(1)), kT0, Event()));
  EXPECT_THAT(store_->Record(Cert("7", "bob", {}, kT0, kT0 + absl::Hours(1)), kT0, Event()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "1");
}

TEST_F(PostgresIssuedCertStoreTest, FiltersByUserGrantKindAndValidity) {
  const absl::Duration h = absl::Hours(1);
  ASSERT_OK(store_->Record(Cert("1", "alice", {"g1"}, kT0, kT0 + h), kT0, Event()));
  ASSERT_OK(store_->Record(Cert("2", "bob", {"g1", "g2"}, kT0, kT0 + 3 * h), kT0, Event()));
  ASSERT_OK(store_->Record(
      Cert("3", "alice", {}, kT0 + 2 * h, kT0 + 4 * h, jit::common::v1::CERTIFICATE_KIND_SSH_HOST),
      kT0, Event()));
  auto list = [&](IssuedCertFilter f) { return Serials(*store_->List(f, 10, "")); };
  EXPECT_THAT(list({.user = "alice"}), ElementsAre("3", "1"));
  EXPECT_THAT(list({.grant_id = "g1"}), ElementsAre("2", "1"));
  EXPECT_THAT(list({.grant_id = "g2"}), ElementsAre("2"));
  EXPECT_THAT(list({.kind = CaKind::kSshHost}), ElementsAre("3"));
  EXPECT_THAT(list({.valid_at = kT0 + absl::Minutes(90)}), ElementsAre("2"));
  EXPECT_THAT(list({.valid_at = kT0 + 2 * h}), ElementsAre("3", "2"));
  EXPECT_THAT(list({.user = "alice", .valid_at = kT0 + h}), ElementsAre());
}

TEST_F(PostgresIssuedCertStoreTest, PagesNewestFirst) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK(store_->Record(Cert(absl::StrCat(i), "alice", {}, kT0, kT0 + absl::Hours(1)), kT0,
                             Event()));
  }
  ASSERT_OK_AND_ASSIGN(IssuedCertPage p1, store_->List({}, 2, ""));
  EXPECT_THAT(Serials(p1), ElementsAre("5", "4"));
  ASSERT_OK_AND_ASSIGN(IssuedCertPage p2, store_->List({}, 2, p1.next_page_token));
  EXPECT_THAT(Serials(p2), ElementsAre("3", "2"));
  ASSERT_OK_AND_ASSIGN(IssuedCertPage p3, store_->List({}, 2, p2.next_page_token));
  EXPECT_THAT(Serials(p3), ElementsAre("1"));
  EXPECT_EQ(p3.next_page_token, "");
  EXPECT_THAT(store_->List({}, 2, "garbage"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::ca
