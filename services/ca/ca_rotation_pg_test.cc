// CA rotation against a real PostgreSQL with two replicas (each its own pool, store, keyring,
// rotator and issuer) on one database: the phase lives in the database, the other replica
// follows a change at its next keyring refresh, concurrent phase changes apply once, and each
// change is audited in the outbox.
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/ca_rotator.h"
#include "services/ca/cert_issuer.h"
#include "services/ca/postgres_ca_key_store.h"
#include "services/ca/testing/ca_database.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class AllowAll final : public policy::PermissionChecker {
 public:
  absl::Status Check(const Identity&, std::string_view, std::string_view) override {
    return absl::OkStatus();
  }
};

struct Replica {
  std::unique_ptr<db::PgPool> pool;
  std::unique_ptr<PostgresCaKeyStore> store;
  std::unique_ptr<CaKeyring> keyring;
  std::unique_ptr<CaRotator> rotator;
  std::unique_ptr<CertIssuer> issuer;
};

class CaRotationPgTest : public testing::CaDatabaseTest {
 protected:
  void SetUp() override {
    CaDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    for (Replica* r : {&a_, &b_}) {
      ASSERT_OK_AND_ASSIGN(r->pool, db::PgPool::Create(db().PoolOptions(2)));
      r->store = std::make_unique<PostgresCaKeyStore>(r->pool.get(), kek_.get());
      ASSERT_OK_AND_ASSIGN(r->keyring, CaKeyring::Open(*r->store, clock_));
      r->rotator = std::make_unique<CaRotator>(r->store.get(), r->keyring.get(), &allow_, &clock_);
      r->issuer = std::make_unique<CertIssuer>(r->keyring.get(), nullptr, nullptr, nullptr, &allow_,
                                               &clock_, nullptr);
    }
    admin_.set_kind(Identity::KIND_USER);
    admin_.set_name("root");
  }

  absl::StatusOr<v1::RotateCaResponse> Rotate(Replica& r, const std::string& phase) {
    v1::RotateCaRequest request;
    request.set_type(v1::CA_TYPE_SSH_USER);
    request.set_phase(phase);
    return r.rotator->RotateCa(admin_, {.actor = "user:root"}, request);
  }

  // "key_id=status,..." of the ssh-user keys a replica lists.
  std::string Listed(Replica& r) {
    std::string out;
    absl::StatusOr<v1::GetCaPublicKeysResponse> listed = r.issuer->GetCaPublicKeys({});
    EXPECT_TRUE(listed.ok()) << listed.status();
    if (!listed.ok()) return out;
    for (const auto& k : listed->keys()) {
      if (k.type() == v1::CA_TYPE_SSH_USER) absl::StrAppend(&out, k.key_id(), "=", k.status(), ",");
    }
    return out;
  }

  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  FakeClock clock_{kT0};
  AllowAll allow_;
  Identity admin_;
  Replica a_, b_;
};

TEST_F(CaRotationPgTest, TheOtherReplicaFollowsAtItsNextRefresh) {
  const std::string old_id = a_.keyring->Active(CaKind::kSshUser).key_id;
  ASSERT_EQ(b_.keyring->Active(CaKind::kSshUser).key_id, old_id);

  ASSERT_OK(Rotate(a_, "init").status());
  const std::string listed_a = Listed(a_);
  EXPECT_THAT(listed_a, HasSubstr(old_id + "=active,"));
  EXPECT_THAT(listed_a, HasSubstr("=next,"));
  EXPECT_EQ(Listed(b_), old_id + "=active,");  // not refreshed yet
  EXPECT_THAT(b_.keyring->Refresh(), IsOkAndHolds(true));
  EXPECT_EQ(Listed(b_), listed_a);
  EXPECT_THAT(b_.keyring->Refresh(), IsOkAndHolds(false));  // nothing new

  // The phase is the database's: B continues where A left off, and A follows B.
  ASSERT_OK(Rotate(b_, "update_clients").status());
  const std::string new_id = b_.keyring->Active(CaKind::kSshUser).key_id;
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(a_.keyring->Active(CaKind::kSshUser).key_id, old_id);
  EXPECT_THAT(a_.keyring->Refresh(), IsOkAndHolds(true));
  EXPECT_EQ(a_.keyring->Active(CaKind::kSshUser).key_id, new_id);
  EXPECT_THAT(Rotate(a_, "update_clients"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                     HasSubstr("is in phase update_clients")));
  ASSERT_OK(Rotate(a_, "update_servers").status());
  ASSERT_OK(Rotate(b_, "standby").status());
  EXPECT_THAT(a_.keyring->Refresh(), IsOkAndHolds(true));
  EXPECT_EQ(Listed(a_), new_id + "=active,");
  EXPECT_EQ(Listed(b_), new_id + "=active,");

  EXPECT_EQ(QueryValue("SELECT phase FROM ca.ca_rotations WHERE kind = 'ssh-user'"), "standby");
  EXPECT_EQ(QueryValue("SELECT state FROM ca.ca_keys WHERE key_id = '" + old_id + "'"), "retired");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'ca.rotate'"), "4");
}

TEST_F(CaRotationPgTest, RollbackRestoresTheOldKeyOnBothReplicas) {
  const std::string old_id = a_.keyring->Active(CaKind::kSshUser).key_id;
  ASSERT_OK(Rotate(a_, "init").status());
  ASSERT_OK(Rotate(a_, "update_clients").status());
  ASSERT_OK(b_.keyring->Refresh().status());
  EXPECT_NE(b_.keyring->Active(CaKind::kSshUser).key_id, old_id);
  ASSERT_OK(Rotate(b_, "rollback").status());
  ASSERT_OK(a_.keyring->Refresh().status());
  EXPECT_EQ(a_.keyring->Active(CaKind::kSshUser).key_id, old_id);
  EXPECT_EQ(Listed(a_), old_id + "=active,");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys WHERE kind = 'ssh-user' AND state = "
                       "'retired'"),
            "1");
  // A new rotation may start after a rollback.
  ASSERT_OK(Rotate(a_, "init").status());
}

// Both replicas ask for the same phase change at once: the row lock serialises them, the
// second finds the phase moved and changes nothing (one new key, one audit event).
TEST_F(CaRotationPgTest, ConcurrentPhaseChangesApplyOnce) {
  absl::StatusOr<v1::RotateCaResponse> ra, rb;
  std::thread ta([&] { ra = Rotate(a_, "init"); });
  std::thread tb([&] { rb = Rotate(b_, "init"); });
  ta.join();
  tb.join();
  EXPECT_NE(ra.ok(), rb.ok()) << ra.status() << " / " << rb.status();
  const absl::Status failed = ra.ok() ? rb.status() : ra.status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kFailedPrecondition) << failed;
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys WHERE state = 'next'"), "1");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'ca.rotate'"), "1");
}

}  // namespace
}  // namespace jit::ca
