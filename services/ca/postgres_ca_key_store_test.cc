// PostgresCaKeyStore and CaKeyring against a real PostgreSQL: keys generated on first start,
// one key per kind when replicas race, private keys sealed at rest, the KEK required.
#include "services/ca/postgres_ca_key_store.h"

#include <sodium.h>

#include <memory>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/ca/ca_keyring.h"
#include "services/ca/testing/ca_database.h"

namespace jit::ca {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class PostgresCaKeyStoreTest : public testing::CaDatabaseTest {
 protected:
  void SetUp() override {
    CaDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    store_ = std::make_unique<PostgresCaKeyStore>(&pool(), kek_.get());
  }
  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  std::unique_ptr<PostgresCaKeyStore> store_;
  FakeClock clock_{kT0};
};

jit::common::v1::AuditEvent Event() {
  return *audit::NewAuditEvent("ca", "ca.key.create", kT0, {.actor = "system"}, "ca_key:x",
                               jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "test");
}

CaKeyRecord Record(const std::string& key_id, CaKind kind) {
  return {.key_id = key_id,
          .kind = kind,
          .algorithm = crypto::CaKeyAlgorithm::kEd25519,
          .state = CaKeyState::kActive,
          .public_key = "ssh-ed25519 AAAA",
          .private_key_pem = SecretString(std::string("secret pem of ") + key_id),
          .create_time = kT0};
}

TEST_F(PostgresCaKeyStoreTest, FirstOpenCreatesOneKeyPerKindAndAuditsEach) {
  ASSERT_OK_AND_ASSIGN(auto keyring, CaKeyring::Open(*store_, clock_));
  EXPECT_EQ(keyring->keys().size(), 3u);
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys WHERE state = 'active'"), "3");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE type = 'ca.key.create'"), "3");
  EXPECT_EQ(keyring->Active(CaKind::kSshUser).algorithm, crypto::CaKeyAlgorithm::kEd25519);
  EXPECT_EQ(keyring->Active(CaKind::kX509User).algorithm, crypto::CaKeyAlgorithm::kEcdsaP256);
  EXPECT_THAT(keyring->Active(CaKind::kX509User).public_key,
              HasSubstr("-----BEGIN CERTIFICATE-----"));
}

TEST_F(PostgresCaKeyStoreTest, SecondOpenLoadsTheSameKeys) {
  ASSERT_OK_AND_ASSIGN(auto first, CaKeyring::Open(*store_, clock_));
  ASSERT_OK_AND_ASSIGN(auto second, CaKeyring::Open(*store_, clock_));
  for (CaKind kind : kAllCaKinds) {
    EXPECT_EQ(first->Active(kind).key_id, second->Active(kind).key_id);
    EXPECT_EQ(first->Active(kind).public_key, second->Active(kind).public_key);
  }
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys"), "3");
}

TEST_F(PostgresCaKeyStoreTest, PrivateKeysAreSealedAtRest) {
  ASSERT_OK_AND_ASSIGN(auto keyring, CaKeyring::Open(*store_, clock_));
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys WHERE position('PRIVATE KEY'::bytea IN "
                       "sealed_private_key) > 0"),
            "0");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox WHERE position('PRIVATE'::bytea "
                       "IN event) > 0"),
            "0");
}

TEST_F(PostgresCaKeyStoreTest, AnotherKekCannotOpenTheKeys) {
  ASSERT_OK_AND_ASSIGN(auto keyring, CaKeyring::Open(*store_, clock_));
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  PostgresCaKeyStore other(&pool(), other_kek.get());
  EXPECT_THAT(CaKeyring::Open(other, clock_), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PostgresCaKeyStoreTest, SealedKeyMovedToAnotherRowDoesNotOpen) {
  ASSERT_OK(store_->AddActiveIfAbsent(Record("a", CaKind::kSshUser), Event()).status());
  ASSERT_OK(store_->AddActiveIfAbsent(Record("b", CaKind::kSshHost), Event()).status());
  QueryValue(
      "UPDATE ca.ca_keys SET sealed_private_key = (SELECT sealed_private_key FROM ca.ca_keys "
      "WHERE key_id = 'a') WHERE key_id = 'b' RETURNING 1");
  EXPECT_THAT(store_->ListKeys(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(PostgresCaKeyStoreTest, SealedKeyRelabelledToAnotherKindDoesNotOpen) {
  ASSERT_OK(store_->AddActiveIfAbsent(Record("a", CaKind::kSshUser), Event()).status());
  QueryValue("UPDATE ca.ca_keys SET kind = 'ssh-host' WHERE key_id = 'a' RETURNING 1");
  EXPECT_THAT(store_->ListKeys(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(PostgresCaKeyStoreTest, KeysAreSealedWithAes256Gcm) {
  ASSERT_OK(store_->AddActiveIfAbsent(Record("a", CaKind::kSshUser), Event()).status());
  EXPECT_EQ(QueryValue("SELECT get_byte(sealed_private_key, 0) FROM ca.ca_keys"), "2");
}

// A row sealed before AES-256-GCM (version 1: XChaCha20-Poly1305 bound to "ca_key:<key_id>",
// built here with libsodium as the old code did) opens, and is re-sealed as version 2 the
// first time it is listed.
TEST_F(PostgresCaKeyStoreTest, Version1RowsOpenAndAreResealed) {
  const std::string pem = "secret pem of old";
  const std::string ad = "ca_key:old";
  std::string v1(1, '\x01');
  v1.append(absl::HexStringToBytes(kek_->id_hex()));
  std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  v1.append(nonce);
  std::string body(pem.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(body.data()), &n,
      reinterpret_cast<const unsigned char*>(pem.data()), pem.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()),
      reinterpret_cast<const unsigned char*>(kek_->key().Reveal().data()));
  v1.append(body.substr(0, n));
  QueryValue(absl::StrCat(
      "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, sealed_private_key, "
      "create_time, state_time) VALUES ('old', 'ssh-user', 'ed25519', 'active', 'k', '\\x",
      absl::BytesToHexString(v1), "', now(), now()) RETURNING 1"));

  ASSERT_OK_AND_ASSIGN(auto keys, store_->ListKeys());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].private_key_pem.Reveal(), pem);
  EXPECT_EQ(QueryValue("SELECT get_byte(sealed_private_key, 0) FROM ca.ca_keys"), "2");
  ASSERT_OK_AND_ASSIGN(keys, store_->ListKeys());  // the re-sealed row, bound to the kind now
  EXPECT_EQ(keys[0].private_key_pem.Reveal(), pem);
  QueryValue("UPDATE ca.ca_keys SET kind = 'ssh-host' WHERE key_id = 'old' RETURNING 1");
  EXPECT_THAT(store_->ListKeys(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(PostgresCaKeyStoreTest, ListKeysOpensWhatWasSealed) {
  ASSERT_THAT(store_->AddActiveIfAbsent(Record("a", CaKind::kSshUser), Event()),
              IsOkAndHolds(true));
  ASSERT_OK_AND_ASSIGN(auto keys, store_->ListKeys());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].private_key_pem.Reveal(), "secret pem of a");
  EXPECT_EQ(keys[0].create_time, kT0);
}

// Two replicas on an empty database: the second insert waits for the first transaction,
// then finds its key and stores nothing (no second key, no second event).
TEST_F(PostgresCaKeyStoreTest, ConcurrentFirstStartsStoreOneKeyPerKind) {
  pqxx::connection first(db().conninfo());
  pqxx::work txn(first);
  txn.exec(
      "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, sealed_private_key, "
      "create_time, state_time) VALUES ('first', 'ssh-user', 'ed25519', 'active', 'k', "
      "'\\x00', now(), now())");
  absl::StatusOr<bool> second_added;
  std::thread second([&] {
    second_added = store_->AddActiveIfAbsent(Record("second", CaKind::kSshUser), Event());
  });
  ASSERT_TRUE(WaitForALockWaiter());
  txn.commit();
  second.join();
  EXPECT_THAT(second_added, IsOkAndHolds(false));
  EXPECT_EQ(QueryValue("SELECT string_agg(key_id, ',') FROM ca.ca_keys"), "first");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "0");
}

TEST_F(PostgresCaKeyStoreTest, ReplicasOpeningTogetherAgreeOnTheKeys) {
  ASSERT_OK_AND_ASSIGN(auto kek_copy, crypto::KeyEncryptionKey::FromBytes(kek_->key()));
  ASSERT_OK_AND_ASSIGN(auto pool2, db::PgPool::Create(db().PoolOptions(2)));
  PostgresCaKeyStore replica(pool2.get(), kek_copy.get());
  absl::StatusOr<std::unique_ptr<CaKeyring>> a, b;
  std::thread ta([&] { a = CaKeyring::Open(*store_, clock_); });
  std::thread tb([&] { b = CaKeyring::Open(replica, clock_); });
  ta.join();
  tb.join();
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  for (CaKind kind : kAllCaKinds) {
    EXPECT_EQ((*a)->Active(kind).key_id, (*b)->Active(kind).key_id) << CaKindName(kind);
  }
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.ca_keys"), "3");
  EXPECT_EQ(QueryValue("SELECT count(*) FROM ca.audit_outbox"), "3");
}

}  // namespace
}  // namespace jit::ca
