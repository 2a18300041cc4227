#include "services/audit/checkpointer.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>

#include "common/clock.h"
#include "common/crypto/ed25519.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/event_validation.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const SecretString kSeed(std::string(32, '\x01'));

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Checkpointer::Create(kSeed, &store_, &store_, &clock_,
                                  {.every_events = 10, .interval = absl::Seconds(30)});
    ASSERT_THAT(c, IsOk());
    checkpointer_ = *std::move(c);
  }
  // Appends events first .. first+count-1 as the ingestor does (checkpoint when due).
  AppendResult Append(int64_t first, int count) {
    auto events = ValidateBatch(TestBatch(first, count).events(), clock_.Now());
    EXPECT_THAT(events, IsOk());
    auto r = store_.Append(*events, checkpointer_->ForAppend());
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : AppendResult();
  }

  FakeClock clock_;
  InMemoryEventStore store_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

TEST_F(CheckpointerTest, AnAppendStoresACheckpointOnceEnoughEventsWereAppended) {
  EXPECT_FALSE(Append(1, 9).checkpoint.has_value());
  const AppendResult r = Append(10, 1);
  ASSERT_TRUE(r.checkpoint.has_value());
  EXPECT_EQ(r.checkpoint->sequence, 10);
  EXPECT_EQ(r.checkpoint->hash, r.head.hash);
  EXPECT_EQ(r.checkpoint->signed_at, clock_.Now());
  ASSERT_OK_AND_ASSIGN(auto stored, store_.LatestCheckpoint());
  EXPECT_EQ(stored->sequence, 10);
  EXPECT_FALSE(Append(11, 9).checkpoint.has_value());
  EXPECT_EQ(Append(20, 3).checkpoint->sequence, 22);
}

TEST_F(CheckpointerTest, TheSignatureCoversTheDocumentedBytes) {
  const ChainHead head = Append(1, 3).head;
  const std::optional<StoredCheckpoint> made = checkpointer_->SignIfDue(head, 0);
  EXPECT_FALSE(made.has_value());  // 3 events: not due
  const ChainHead due = Append(4, 7).head;
  const std::optional<StoredCheckpoint> c = checkpointer_->SignIfDue(due, 0);
  ASSERT_TRUE(c.has_value());
  ASSERT_OK_AND_ASSIGN(std::string public_key, crypto::Ed25519PublicKeyFromSeed(kSeed));
  EXPECT_EQ(c->public_key, public_key);
  EXPECT_EQ(c->key_id, CheckpointKeyId(public_key));
  EXPECT_EQ(c->key_id.size(), 16u);
  ASSERT_OK_AND_ASSIGN(auto verifier, crypto::Ed25519Verifier::Create(public_key));
  EXPECT_THAT(verifier->Verify(c->signature, chain::CheckpointMessage(10, due.hash, c->signed_at)),
              IsOk());
  EXPECT_THAT(verifier->Verify(c->signature, chain::CheckpointMessage(11, due.hash, c->signed_at)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CheckpointerTest, AnotherReplicasCheckpointCountsToo) {
  auto events = ValidateBatch(TestBatch(1, 10).events(), clock_.Now());
  ASSERT_THAT(store_.Append(*events), IsOk());
  StoredCheckpoint theirs;
  theirs.sequence = 10;
  theirs.hash = std::string(32, 'h');
  theirs.signed_at = clock_.Now();
  ASSERT_THAT(store_.AddCheckpoint(theirs), IsOk());
  EXPECT_FALSE(Append(11, 5).checkpoint.has_value());  // only 5 since theirs at 10
}

TEST_F(CheckpointerTest, TickSignsAMovedHeadAfterTheInterval) {
  ASSERT_OK_AND_ASSIGN(auto nothing, checkpointer_->Tick());
  EXPECT_FALSE(nothing.has_value());  // empty chain
  Append(1, 3);
  ASSERT_OK_AND_ASSIGN(auto first, checkpointer_->Tick());
  ASSERT_TRUE(first.has_value());  // no checkpoint yet: sign at once
  EXPECT_EQ(first->sequence, 3);
  Append(4, 2);
  clock_.Advance(absl::Seconds(29));
  ASSERT_OK_AND_ASSIGN(auto early, checkpointer_->Tick());
  EXPECT_FALSE(early.has_value());
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto due, checkpointer_->Tick());
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->sequence, 5);
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(auto unmoved, checkpointer_->Tick());
  EXPECT_FALSE(unmoved.has_value());
}

TEST_F(CheckpointerTest, RefusesABadPolicyOrSeed) {
  EXPECT_THAT(Checkpointer::Create(kSeed, &store_, &store_, &clock_,
                                   {.every_events = 0, .interval = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("every_events")));
  EXPECT_THAT(Checkpointer::Create(kSeed, &store_, &store_, &clock_,
                                   {.every_events = 1, .interval = absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval")));
  EXPECT_THAT(
      Checkpointer::Create(SecretString(std::string(31, 'x')), &store_, &store_, &clock_, {}),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << content;
  chmod(path.c_str(), mode);
  return path;
}

TEST(ReadCheckpointSeedTest, ReadsTheBase64OfA32ByteSeed) {
  const std::string path =
      WriteFile("seed", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n", 0600);
  ASSERT_OK_AND_ASSIGN(SecretString seed, ReadCheckpointSeed(path));
  EXPECT_EQ(seed.Reveal(), kSeed.Reveal());
}

TEST(ReadCheckpointSeedTest, RefusesAWrongLengthOrAnOpenFile) {
  EXPECT_THAT(ReadCheckpointSeed(WriteFile("short", "AQEBAQ==", 0600)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("32-byte")));
  EXPECT_THAT(
      ReadCheckpointSeed(WriteFile("open", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", 0644)),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace jit::audit
