#include "common/auth/revocation.h"

#include <deque>

#include "common/auth/testing/static_revocation_checker.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

// Replays scripted updates and records the cursors it was asked for.
class ScriptedFeed final : public RevocationFeed {
 public:
  absl::StatusOr<RevocationUpdate> FetchRevocations(int64_t after_cursor) override {
    cursors.push_back(after_cursor);
    if (script.empty()) return RevocationUpdate{.cursor = after_cursor};
    absl::StatusOr<RevocationUpdate> next = std::move(script.front());
    script.pop_front();
    return next;
  }
  std::deque<absl::StatusOr<RevocationUpdate>> script;
  std::vector<int64_t> cursors;
};

class RevocationListTest : public ::testing::Test {
 protected:
  void SetUp() override { list_ = *RevocationList::Create(&feed_, &clock_, {}); }
  absl::Time In(absl::Duration d) { return clock_.Now() + d; }

  FakeClock clock_;
  ScriptedFeed feed_;
  std::unique_ptr<RevocationList> list_;
};

TEST_F(RevocationListTest, UnsyncedListFailsClosed) {
  EXPECT_THAT(list_->CheckSession("s1"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RevocationListTest, RevokedSessionIsRefusedOthersPass) {
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"s1", In(absl::Hours(1))}}, .cursor = 10, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_THAT(list_->CheckSession("s1"),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  EXPECT_THAT(list_->CheckSession("s2"), IsOk());
}

TEST_F(RevocationListTest, IncrementalUpdatesUseTheCursor) {
  feed_.script.push_back(RevocationUpdate{.cursor = 10, .complete = true});
  feed_.script.push_back(RevocationUpdate{.sessions = {{"s2", In(absl::Hours(1))}}, .cursor = 11});
  ASSERT_THAT(list_->Refresh(), IsOk());
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_THAT(feed_.cursors, ::testing::ElementsAre(0, 10));
  EXPECT_THAT(list_->CheckSession("s2"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RevocationListTest, CompleteUpdateReplacesTheList) {
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"s1", In(absl::Hours(1))}}, .cursor = 10, .complete = true});
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"s3", In(absl::Hours(1))}}, .cursor = 3, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
  EXPECT_THAT(list_->CheckSession("s3"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RevocationListTest, FirstSyncMustBeComplete) {
  feed_.script.push_back(RevocationUpdate{.cursor = 10, .complete = false});
  EXPECT_THAT(list_->Refresh(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(list_->CheckSession("s1"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RevocationListTest, StrictListFailsClosedAfterFiveSeconds) {
  list_ = *RevocationList::Create(&feed_, &clock_, {.mode = RevocationMode::kStrict});
  feed_.script.push_back(RevocationUpdate{.cursor = 1, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  feed_.script.push_back(absl::UnavailableError("auth down"));
  clock_.Advance(absl::Seconds(3));
  EXPECT_THAT(list_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
  clock_.Advance(absl::Seconds(2));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());  // exactly 5 s
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(list_->CheckSession("s1"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
}

// Best effort (the default) rides out an auth outage shorter than max_staleness on the last
// known list: a session revoked before the outage stays refused, others pass; past the bound
// it fails closed too.
TEST_F(RevocationListTest, BestEffortKeepsTheLastListUntilMaxStaleness) {
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"ended", In(absl::Hours(1))}}, .cursor = 1, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  feed_.script.push_back(absl::UnavailableError("auth down"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(list_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
  EXPECT_THAT(list_->CheckSession("ended"),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  EXPECT_EQ(list_->age(), absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());  // exactly 1 min
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(list_->CheckSession("s1"), StatusIs(absl::StatusCode::kUnavailable));
}

// A best-effort list answers a strict check (a session of a strict role) as a strict list
// would: refused once the list is older than 5 s, while other sessions ride the outage out.
TEST_F(RevocationListTest, StrictCheckOnABestEffortListFailsClosedAfterFiveSeconds) {
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"ended", In(absl::Hours(1))}}, .cursor = 1, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  feed_.script.push_back(absl::UnavailableError("auth down"));
  clock_.Advance(kStrictStaleness);
  EXPECT_THAT(list_->CheckSessionStrictly("s1"), IsOk());  // exactly 5 s
  EXPECT_THAT(list_->CheckSessionStrictly("ended"),
              StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(list_->CheckSessionStrictly("s1"),
              StatusIs(absl::StatusCode::kUnavailable, "revocation list is out of date"));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
}

TEST_F(RevocationListTest, MaxStalenessIsConfigurableAndAtLeastTheStrictBound) {
  list_ = *RevocationList::Create(&feed_, &clock_, {.max_staleness = absl::Minutes(5)});
  EXPECT_EQ(list_->staleness_bound(), absl::Minutes(5));
  feed_.script.push_back(RevocationUpdate{.cursor = 1, .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  clock_.Advance(absl::Minutes(4));
  EXPECT_THAT(list_->CheckSession("s1"), IsOk());
  EXPECT_THAT(RevocationList::Create(&feed_, &clock_, {.max_staleness = absl::Seconds(4)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RevocationListTest, AgeCountsFromCreationUntilFirstLoad) {
  clock_.Advance(absl::Seconds(7));
  EXPECT_EQ(list_->age(), absl::Seconds(7));
  EXPECT_THAT(list_->CheckSession("s1"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RevocationModeTest, Names) {
  EXPECT_THAT(RevocationModeFromName("strict"),
              ::jit::testing::IsOkAndHolds(RevocationMode::kStrict));
  EXPECT_THAT(RevocationModeFromName("best_effort"),
              ::jit::testing::IsOkAndHolds(RevocationMode::kBestEffort));
  EXPECT_THAT(RevocationModeFromName("lenient"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RevocationModeName(RevocationMode::kStrict), "strict");
}

TEST_F(RevocationListTest, ExpiredEntriesAreForgotten) {
  feed_.script.push_back(
      RevocationUpdate{.sessions = {{"old", In(absl::Minutes(1))}, {"new", In(absl::Hours(8))}},
                       .cursor = 2,
                       .complete = true});
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_EQ(list_->size(), 2u);
  clock_.Advance(absl::Minutes(4));  // past expiry + 2 min grace
  ASSERT_THAT(list_->Refresh(), IsOk());
  EXPECT_EQ(list_->size(), 1u);
  EXPECT_THAT(list_->CheckSession("new"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(StaticRevocationCheckerTest, RevokesAndCanBeUnavailable) {
  StaticRevocationChecker checker;
  EXPECT_THAT(checker.CheckSession("a"), IsOk());
  checker.Revoke("a");
  EXPECT_THAT(checker.CheckSession("a"), StatusIs(absl::StatusCode::kUnauthenticated));
  checker.SetUnavailable(true);
  EXPECT_THAT(checker.CheckSession("b"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::auth
