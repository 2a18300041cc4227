#include "services/audit/event_search.h"

#include <set>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::audit::testing::TestEvent;
using ::jit::audit::v1::SearchEventsRequest;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

class EventSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EventIngestor ingestor(&store_, nullptr, &clock_);
    jit::audit::v1::IngestEventsRequest request;
    for (int i = 1; i <= 250; ++i) {
      *request.add_events() = TestEvent(i, i % 5 == 0 ? "access_request.create" : "auth.login",
                                        i % 2 == 0 ? "user:alice" : "user:bob");
    }
    ASSERT_THAT(ingestor.Ingest("auth", request), IsOk());
  }

  FakeClock clock_;
  InMemoryEventStore store_;
  EventSearch search_{&store_};
};

TEST_F(EventSearchTest, PagesThroughEverythingOnceNewestFirst) {
  SearchEventsRequest request;
  request.set_page_size(40);
  std::vector<int64_t> seen;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, search_.Search(request));
    for (const auto& e : page.events()) seen.push_back(e.sequence());
    request.set_page_token(page.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 7);
  ASSERT_EQ(seen.size(), 250u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 250 - static_cast<int64_t>(i));
}

TEST_F(EventSearchTest, PagesStayStableWhileEventsArrive) {
  SearchEventsRequest request;
  request.set_page_size(100);
  request.set_ascending(true);
  ASSERT_OK_AND_ASSIGN(auto first, search_.Search(request));
  EventIngestor ingestor(&store_, nullptr, &clock_);
  ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1000, 10)), IsOk());  // later times: at the end
  request.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto second, search_.Search(request));
  EXPECT_EQ(second.events(0).sequence(), 101);
}

TEST_F(EventSearchTest, FiltersByActorTypePrefixAndTime) {
  SearchEventsRequest request;
  request.set_actor("user:alice");
  request.add_types("access_request.*");
  request.mutable_start_time()->set_seconds(1'700'000'000 + 100);
  request.mutable_end_time()->set_seconds(1'700'000'000 + 200);
  ASSERT_OK_AND_ASSIGN(auto page, search_.Search(request));
  std::vector<int64_t> seqs;
  for (const auto& e : page.events()) seqs.push_back(e.sequence());
  EXPECT_EQ(seqs, (std::vector<int64_t>{190, 180, 170, 160, 150, 140, 130, 120, 110, 100}));
  EXPECT_EQ(page.next_page_token(), "");
}

TEST_F(EventSearchTest, DefaultsTo100AndCapsTheSize) {
  ASSERT_OK_AND_ASSIGN(auto page, search_.Search(SearchEventsRequest()));
  EXPECT_EQ(page.events_size(), 100);
  SearchEventsRequest request;
  request.set_page_size(1001);
  EXPECT_THAT(search_.Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size: 1001")));
}

TEST_F(EventSearchTest, ATokenBelongsToItsQuery) {
  SearchEventsRequest request;
  request.set_page_size(10);
  ASSERT_OK_AND_ASSIGN(auto page, search_.Search(request));
  request.set_page_token(page.next_page_token());
  request.set_actor("user:alice");
  EXPECT_THAT(search_.Search(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("page_token: belongs to another")));
  request.clear_actor();
  request.set_ascending(true);
  EXPECT_THAT(search_.Search(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_ascending(false);
  request.set_page_size(20);  // the size may change between pages
  EXPECT_THAT(search_.Search(request), IsOk());
  request.set_page_token("!!not-base64");
  EXPECT_THAT(search_.Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token: malformed")));
}

TEST_F(EventSearchTest, RefusesBadFilters) {
  SearchEventsRequest request;
  request.add_types("*");
  EXPECT_THAT(search_.Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("types: \"*\"")));
  request.clear_types();
  request.add_types("Auth.Login");
  EXPECT_THAT(search_.Search(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.clear_types();
  request.mutable_start_time()->set_seconds(10);
  request.mutable_end_time()->set_seconds(10);
  EXPECT_THAT(search_.Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("start_time")));
  request = SearchEventsRequest();
  request.set_actor(std::string(1025, 'a'));
  EXPECT_THAT(search_.Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actor: 1025 bytes")));
}

}  // namespace
}  // namespace jit::audit
