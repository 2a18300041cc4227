// PostgresJoinStore against a real PostgreSQL: single-use redemption under concurrency, a
// refused check changing nothing, enrolled hosts, the internal CA sealed at rest.
#include "services/ca/join/postgres_join_store.h"

#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/audit/audit_event.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/testing/ca_database.h"

namespace jit::ca::join {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

jit::common::v1::AuditEvent Event(const std::string& type) {
  return *audit::NewAuditEvent("ca", type, kT0, {.actor = "user:admin"}, "join_token:x",
                               jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "test");
}

JoinTokenRecord Token(const std::string& id) {
  return {.token_id = id,
          .token_hash = "hash-of-" + id,
          .kind = v1::JOIN_TOKEN_KIND_HOST,
          .allowed_names = {"db1", "10.0.0.5"},
          .creator = "user:admin",
          .create_time = kT0,
          .expire_time = kT0 + absl::Hours(1)};
}

absl::Status Unused(const JoinTokenRecord& r) {
  if (r.redeem_time.has_value()) return absl::PermissionDeniedError("already used");
  return absl::OkStatus();
}

class PostgresJoinStoreTest : public ca::testing::CaDatabaseTest {
 protected:
  void SetUp() override {
    CaDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    store_ = std::make_unique<PostgresJoinStore>(&pool(), kek_.get());
  }
  EnrolledHost Host() {
    return {.name = "db1",
            .principals = {"db1", "10.0.0.5"},
            .host_key_fingerprint = "SHA256:abc",
            .enroll_time = kT0};
  }
  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  std::unique_ptr<PostgresJoinStore> store_;
};

TEST_F(PostgresJoinStoreTest, CreateStoresTheHashAndTheEvent) {
  ASSERT_THAT(store_->CreateToken(Token("t1"), Event("join_token.create")), IsOk());
  EXPECT_EQ(QueryValue("SELECT token_hash || ' ' || kind || ' ' || array_to_string(allowed_names, "
                       "',') FROM ca.join_tokens"),
            "hash-of-t1 host db1,10.0.0.5");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "1");
  EXPECT_THAT(store_->CreateToken(Token("t1"), Event("join_token.create")),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresJoinStoreTest, RedeemMarksTheTokenAndRecordsTheHost) {
  ASSERT_THAT(store_->CreateToken(Token("t1"), Event("join_token.create")), IsOk());
  ASSERT_OK_AND_ASSIGN(JoinTokenRecord r,
                       store_->Redeem("t1", kT0 + absl::Minutes(1), "host:db1", Unused, Host(),
                                      Event("join_token.redeem")));
  EXPECT_EQ(r.allowed_names, (std::vector<std::string>{"db1", "10.0.0.5"}));
  EXPECT_EQ(r.expire_time, kT0 + absl::Hours(1));
  EXPECT_EQ(QueryValue("SELECT redeemed_as FROM ca.join_tokens"), "host:db1");
  ASSERT_OK_AND_ASSIGN(std::optional<EnrolledHost> host, store_->GetHost("db1"));
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->principals, (std::vector<std::string>{"db1", "10.0.0.5"}));
  EXPECT_EQ(host->token_id, "t1");
  EXPECT_EQ(host->enroll_time, kT0);
  EXPECT_THAT(store_->GetHost("db2"), IsOkAndHolds(std::nullopt));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "2");
  EXPECT_THAT(store_->Redeem("t1", kT0, "host:db1", Unused, Host(), Event("join_token.redeem")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(PostgresJoinStoreTest, ARefusedCheckChangesNothing) {
  ASSERT_THAT(store_->CreateToken(Token("t1"), Event("join_token.create")), IsOk());
  auto refuse = [](const JoinTokenRecord&) { return absl::FailedPreconditionError("wrong kind"); };
  EXPECT_THAT(store_->Redeem("t1", kT0, "service:x", refuse, Host(), Event("join_token.redeem")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "wrong kind"));
  EXPECT_EQ(QueryValue("SELECT redeem_time IS NULL FROM ca.join_tokens"), "t");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.enrolled_hosts"), "0");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "1");
  EXPECT_THAT(store_->Redeem("nope", kT0, "host:db1", Unused, Host(), Event("join_token.redeem")),
              StatusIs(absl::StatusCode::kNotFound));
}

// Two redemptions of one token at once: the second waits on the row lock the first holds
// (the hook keeps the first inside its transaction until the second is seen waiting), then
// sees the token used. Exactly one wins; one host row, one redeem event.
TEST_F(PostgresJoinStoreTest, ConcurrentRedemptionsOfOneTokenHaveOneWinner) {
  ASSERT_THAT(store_->CreateToken(Token("t1"), Event("join_token.create")), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pool2, db::PgPool::Create(db().PoolOptions(2)));
  PostgresJoinStore second_store(pool2.get(), kek_.get());
  absl::Notification first_locked, release_first;
  store_->after_lock_for_testing = [&] {
    first_locked.Notify();
    release_first.WaitForNotification();
  };
  absl::StatusOr<JoinTokenRecord> first, second;
  std::thread a([&] {
    first = store_->Redeem("t1", kT0, "host:db1", Unused, Host(), Event("join_token.redeem"));
  });
  first_locked.WaitForNotification();
  std::thread b([&] {
    second = second_store.Redeem("t1", kT0, "host:db1", Unused, Host(), Event("join_token.redeem"));
  });
  ASSERT_TRUE(WaitForALockWaiter());
  release_first.Notify();
  a.join();
  b.join();
  EXPECT_THAT(first.status(), IsOk());
  EXPECT_THAT(second.status(), StatusIs(absl::StatusCode::kPermissionDenied, "already used"));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.enrolled_hosts"), "1");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "2");
}

TEST_F(PostgresJoinStoreTest, InternalCaIsImportedOnceAndSealed) {
  EXPECT_THAT(store_->LoadInternalCa(), IsOkAndHolds(std::nullopt));
  InternalCaRecord ca{.certificate_pem = "CERT",
                      .private_key_pem = SecretString(std::string("PRIVATE KEY PEM")),
                      .import_time = kT0};
  EXPECT_THAT(store_->ImportInternalCaIfAbsent(ca, Event("internal_ca.import")),
              IsOkAndHolds(true));
  InternalCaRecord other{.certificate_pem = "OTHER",
                         .private_key_pem = SecretString(std::string("OTHER KEY")),
                         .import_time = kT0};
  EXPECT_THAT(store_->ImportInternalCaIfAbsent(other, Event("internal_ca.import")),
              IsOkAndHolds(false));
  ASSERT_OK_AND_ASSIGN(std::optional<InternalCaRecord> loaded, store_->LoadInternalCa());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->certificate_pem, "CERT");
  EXPECT_EQ(loaded->private_key_pem.Reveal(), "PRIVATE KEY PEM");
  EXPECT_THAT(QueryValue("SELECT encode(sealed_private_key, 'escape') FROM ca.internal_ca"),
              Not(HasSubstr("PRIVATE KEY PEM")));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "1");
  // Another KEK cannot open it.
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  PostgresJoinStore wrong(&pool(), other_kek.get());
  EXPECT_THAT(wrong.LoadInternalCa(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace jit::ca::join
