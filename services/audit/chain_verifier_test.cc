#include "services/audit/chain_verifier.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::audit::testing::TestEvent;
using ::jit::audit::v1::VerifyChainResponse;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const SecretString kSeed(std::string(32, '\x01'));
const SecretString kOtherSeed(std::string(32, '\x02'));

class ChainVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(checkpointer_,
                         Checkpointer::Create(kSeed, &store_, &store_, &clock_,
                                              {.every_events = 10, .interval = absl::Hours(1)}));
    ASSERT_OK_AND_ASSIGN(verifier_,
                         ChainVerifier::Create(&store_, &store_, {checkpointer_->public_key()}));
    EventIngestor ingestor(&store_, checkpointer_.get(), &clock_);
    // 25 events in batches of 5: checkpoints at 10 and 20.
    for (int i = 0; i < 5; ++i)
      ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1 + 5 * i, 5)), IsOk());
  }

  VerifyChainResponse Verify(int64_t from = 0, int64_t to = 0) {
    auto r = verifier_->Verify(from, to);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : VerifyChainResponse();
  }

  // Recomputes the stored hashes from `from` on, as an attacker covering an edit would.
  void Rehash(std::map<int64_t, AuditEvent>& events) {
    std::string prev = chain::GenesisHash();
    for (auto& [seq, e] : events) {
      e.set_prev_hash(absl::BytesToHexString(prev));
      prev = chain::ChainHash(prev, e);
      e.set_hash(absl::BytesToHexString(prev));
    }
  }

  FakeClock clock_;
  InMemoryEventStore store_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<ChainVerifier> verifier_;
};

TEST_F(ChainVerifierTest, AnIntactChainVerifies) {
  const VerifyChainResponse r = Verify();
  EXPECT_TRUE(r.ok()) << r.problem();
  EXPECT_EQ(r.checked(), 25);
  EXPECT_EQ(r.head_sequence(), 25);
  ASSERT_OK_AND_ASSIGN(auto events, store_.ReadAfter(24, 1));
  EXPECT_EQ(r.head_hash(), events[0].hash());
  EXPECT_EQ(r.checkpoints_checked(), 2);
  EXPECT_EQ(r.latest_checkpoint().sequence(), 20);
  EXPECT_EQ(r.first_bad_sequence(), 0);
}

TEST_F(ChainVerifierTest, AnEditedEventIsFoundAtItsSequence) {
  store_.Tamper([](auto& events) { events[13].set_actor("user:mallory"); });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 13);
  EXPECT_THAT(r.problem(), HasSubstr("hash does not match its contents"));
  EXPECT_EQ(r.checked(), 12);
}

TEST_F(ChainVerifierTest, ADeletedEventIsFoundAtItsSequence) {
  store_.Tamper([](auto& events) { events.erase(7); });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 7);
  EXPECT_THAT(r.problem(), HasSubstr("event 7 is missing"));
}

TEST_F(ChainVerifierTest, AnInsertedEventIsFoundAtItsSequence) {
  store_.Tamper([](auto& events) {
    // Shift 9.. up by one and put a forged event at 9, linked to 8's hash.
    std::map<int64_t, AuditEvent> shifted;
    for (auto& [seq, e] : events) {
      AuditEvent moved = e;
      if (seq >= 9) moved.set_sequence(seq + 1);
      shifted[moved.sequence()] = moved;
    }
    AuditEvent forged = TestEvent(999);
    forged.set_sequence(9);
    forged.set_prev_hash(events[8].hash());
    forged.set_hash(events[9].hash());
    shifted[9] = forged;
    events = shifted;
  });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 9);
}

// An insertion whose own hash follows the chain's rule breaks the next link instead.
TEST_F(ChainVerifierTest, AWellForgedInsertionBreaksTheNextLink) {
  store_.Tamper([](auto& events) {
    std::map<int64_t, AuditEvent> shifted;
    for (auto& [seq, e] : events) {
      AuditEvent moved = e;
      if (seq >= 9) moved.set_sequence(seq + 1);
      shifted[moved.sequence()] = moved;
    }
    AuditEvent forged = TestEvent(999);
    forged.set_sequence(9);
    forged.set_prev_hash(events[8].hash());
    forged.set_hash(
        absl::BytesToHexString(chain::ChainHash(absl::HexStringToBytes(events[8].hash()), forged)));
    shifted[9] = forged;
    events = shifted;
  });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 10);
  EXPECT_THAT(r.problem(), HasSubstr("prev_hash is not the hash of event 9"));
}

TEST_F(ChainVerifierTest, AForgedEventAppendedAfterTheHeadIsFound) {
  store_.Tamper([](auto& events) {
    AuditEvent forged = TestEvent(999);
    forged.set_sequence(26);
    forged.set_prev_hash(events[25].hash());
    forged.set_hash(std::string(64, 'a'));
    events[26] = forged;
  });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 26);
}

TEST_F(ChainVerifierTest, ATruncatedTailIsFoundThroughTheCheckpoint) {
  store_.TruncateAfter(17);  // checkpoint 20 remains
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 18);
  EXPECT_THAT(r.problem(), HasSubstr("events 18 to 20 are missing"));
  EXPECT_EQ(r.checked(), 17);
}

TEST_F(ChainVerifierTest, ARehashedChainIsCaughtByTheNextCheckpoint) {
  store_.Tamper([&](auto& events) {
    events[4].set_message("rewritten");
    Rehash(events);
  });
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 10);
  EXPECT_THAT(r.problem(), HasSubstr("checkpoint at sequence 10 signed another hash"));
}

TEST_F(ChainVerifierTest, ACheckpointByAnotherKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(
      auto other, Checkpointer::Create(kOtherSeed, &store_, &store_, &clock_, {.every_events = 1}));
  ASSERT_OK_AND_ASSIGN(auto head, store_.Head());
  const std::optional<StoredCheckpoint> made = other->SignIfDue(head, 0);
  ASSERT_TRUE(made.has_value());
  ASSERT_THAT(store_.AddCheckpoint(*made), IsOk());
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 25);
  EXPECT_THAT(r.problem(), HasSubstr("untrusted key"));
}

TEST_F(ChainVerifierTest, AForgedSignatureIsRefused) {
  StoredCheckpoint forged;
  forged.sequence = 30;  // claims a longer chain
  forged.hash = std::string(32, 'x');
  forged.signed_at = clock_.Now();
  forged.public_key = checkpointer_->public_key();
  forged.key_id = checkpointer_->key_id();
  forged.signature = std::string(64, 's');
  ASSERT_THAT(store_.AddCheckpoint(forged), IsOk());
  const VerifyChainResponse r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 30);
  EXPECT_THAT(r.problem(), HasSubstr("signature does not verify"));
}

TEST_F(ChainVerifierTest, ARangeIsAnchoredOnThePreviousEvent) {
  VerifyChainResponse r = Verify(11, 15);
  EXPECT_TRUE(r.ok()) << r.problem();
  EXPECT_EQ(r.checked(), 5);
  EXPECT_EQ(r.head_sequence(), 15);
  EXPECT_EQ(r.checkpoints_checked(), 0);
  store_.Tamper([](auto& events) { events[16].set_message("x"); });
  EXPECT_TRUE(Verify(1, 15).ok());
  r = Verify(14, 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 16);
  store_.Tamper([](auto& events) { events.erase(10); });
  r = Verify(11, 12);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad_sequence(), 10);
}

TEST_F(ChainVerifierTest, AnEmptyChainVerifies) {
  InMemoryEventStore empty;
  ASSERT_OK_AND_ASSIGN(auto verifier, ChainVerifier::Create(&empty, &empty, {}));
  ASSERT_OK_AND_ASSIGN(VerifyChainResponse r, verifier->Verify(0, 0));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.checked(), 0);
  EXPECT_EQ(r.head_hash(), std::string(64, '0'));
}

TEST_F(ChainVerifierTest, RefusesBadBounds) {
  EXPECT_THAT(verifier_->Verify(-1, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(verifier_->Verify(5, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_sequence: 5 is after")));
}

}  // namespace
}  // namespace jit::audit
