// PostgresSigningKeyStore against a real PostgreSQL: publication and activation windows,
// first-start races, retirement, and the seed sealed at rest.
#include "services/auth/storage/postgres_signing_key_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/auth_database.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::AuthDatabaseTest;
using ::jit::auth::testing::TestEvent;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kRetention = absl::Hours(9);

SigningKeyRecord Key(const std::string& kid, absl::Time created, absl::Time active) {
  return {.kid = kid,
          .public_key = std::string(32, 'p'),
          .seed = SecretString(std::string(32, kid.back())),
          .create_time = created,
          .activate_time = active};
}

std::vector<std::string> Kids(const std::vector<SigningKeyRecord>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.kid);
  return out;
}

class PostgresSigningKeyStoreTest : public AuthDatabaseTest {
 protected:
  void SetUp() override {
    AuthDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    store_ = std::make_unique<PostgresSigningKeyStore>(&pool(), kek_.get());
  }
  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  std::unique_ptr<PostgresSigningKeyStore> store_;
};

TEST_F(PostgresSigningKeyStoreTest, EmptyStoreHasNoActiveKey) {
  EXPECT_THAT(store_->Active(kT0), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto published, store_->ListPublished(kT0, kRetention));
  EXPECT_THAT(published, IsEmpty());
}

TEST_F(PostgresSigningKeyStoreTest, ActiveKeyComesBackWithItsSeedSealedAtRest) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  ASSERT_OK_AND_ASSIGN(ActiveSigningKey active, store_->Active(kT0));
  EXPECT_EQ(active.key.kid, "k1");
  EXPECT_EQ(active.key.seed.Reveal(), std::string(32, '1'));
  EXPECT_EQ(active.key.public_key, std::string(32, 'p'));
  EXPECT_FALSE(active.next_activation.has_value());
  EXPECT_THAT(QueryValue("SELECT encode(private_key, 'hex') FROM auth.signing_keys"),
              Not(HasSubstr("3131313131313131")));
  EXPECT_EQ(AuditCount("auth.signing_key.created"), 1);
}

TEST_F(PostgresSigningKeyStoreTest, NewKeyIsPublishedBeforeItSigns) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  const absl::Time rotate = kT0 + absl::Hours(1);
  ASSERT_OK(store_->Add(Key("k2", rotate, rotate + absl::Seconds(10)),
                        TestEvent("auth.signing_key.created")));
  // Published at once, next to the old one...
  ASSERT_OK_AND_ASSIGN(auto published, store_->ListPublished(rotate, kRetention));
  EXPECT_THAT(Kids(published), ElementsAre("k1", "k2"));
  // ...but the old key still signs until the new one's activation.
  ASSERT_OK_AND_ASSIGN(ActiveSigningKey before, store_->Active(rotate + absl::Seconds(9)));
  EXPECT_EQ(before.key.kid, "k1");
  EXPECT_EQ(before.next_activation, rotate + absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(ActiveSigningKey after, store_->Active(rotate + absl::Seconds(10)));
  EXPECT_EQ(after.key.kid, "k2");
  EXPECT_FALSE(after.next_activation.has_value());
}

TEST_F(PostgresSigningKeyStoreTest, SupersededKeyStaysPublishedForTheRetention) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  const absl::Time switch_over = kT0 + absl::Hours(1);
  ASSERT_OK(
      store_->Add(Key("k2", switch_over, switch_over), TestEvent("auth.signing_key.created")));
  ASSERT_OK_AND_ASSIGN(
      auto during, store_->ListPublished(switch_over + kRetention - absl::Seconds(1), kRetention));
  EXPECT_THAT(Kids(during), ElementsAre("k1", "k2"));
  ASSERT_OK_AND_ASSIGN(auto after, store_->ListPublished(switch_over + kRetention, kRetention));
  EXPECT_THAT(Kids(after), ElementsAre("k2"));
  for (const auto& k : after) EXPECT_TRUE(k.seed.empty());

  EXPECT_THAT(store_->DeleteRetired(switch_over + kRetention - absl::Seconds(1), kRetention),
              IsOkAndHolds(0));
  EXPECT_THAT(store_->DeleteRetired(switch_over + kRetention, kRetention), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(ActiveSigningKey active, store_->Active(switch_over + kRetention));
  EXPECT_EQ(active.key.kid, "k2");
}

TEST_F(PostgresSigningKeyStoreTest, ReplicasStartingTogetherAddExactlyOneKey) {
  std::atomic<int> added{0};
  std::vector<std::thread> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&, i] {
      absl::StatusOr<bool> r = store_->AddIfEmpty(Key(absl::StrCat("k", i), kT0, kT0),
                                                  TestEvent("auth.signing_key.created"));
      ASSERT_TRUE(r.ok()) << r.status();
      if (*r) ++added;
    });
  }
  for (auto& t : replicas) t.join();
  EXPECT_EQ(added.load(), 1);
  EXPECT_EQ(QueryValue("SELECT count(*) FROM auth.signing_keys"), "1");
  EXPECT_EQ(AuditCount("auth.signing_key.created"), 1);
}

TEST_F(PostgresSigningKeyStoreTest, DuplicateKidIsAlreadyExists) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  EXPECT_THAT(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresSigningKeyStoreTest, StoreWithoutKekListsButCannotSign) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  PostgresSigningKeyStore public_only(&pool(), nullptr);
  ASSERT_OK_AND_ASSIGN(auto published, public_only.ListPublished(kT0, kRetention));
  EXPECT_THAT(Kids(published), ElementsAre("k1"));
  EXPECT_THAT(public_only.Active(kT0), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PostgresSigningKeyStoreTest, SeedUnderAnotherKekDoesNotOpen) {
  ASSERT_OK(store_->Add(Key("k1", kT0, kT0), TestEvent("auth.signing_key.created")));
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  PostgresSigningKeyStore other(&pool(), other_kek.get());
  EXPECT_THAT(other.Active(kT0), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("another key-encryption key")));
}

}  // namespace
}  // namespace jit::auth
