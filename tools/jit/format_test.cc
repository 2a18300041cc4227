#include "tools/jit/format.h"

#include "absl/strings/match.h"
#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(FormatTest, ShortDurationKeepsTheTwoLargestUnits) {
  EXPECT_EQ(ShortDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(ShortDuration(absl::Minutes(29)), "29m");
  EXPECT_EQ(ShortDuration(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(ShortDuration(absl::Minutes(65)), "1h5m");
  EXPECT_EQ(ShortDuration(absl::Hours(51)), "2d3h");
  EXPECT_EQ(ShortDuration(absl::Hours(48)), "2d");
}

TEST(FormatTest, RelativeTimeSaysPastOrFuture) {
  EXPECT_EQ(RelativeTime(kNow + absl::Minutes(30), kNow), "in 30m");
  EXPECT_EQ(RelativeTime(kNow - absl::Minutes(5), kNow), "5m ago");
  EXPECT_EQ(RelativeTime(kNow, kNow), "now");
}

TEST(FormatTest, StatesRoundTripAndUnknownNamesSayWhatIsAllowed) {
  for (int i = 1; i <= 6; ++i) {
    auto state = static_cast<common::v1::AccessRequestState>(i);
    EXPECT_THAT(ParseState(StateName(state)), ::jit::testing::IsOkAndHolds(state));
  }
  EXPECT_THAT(ParseState("PENDING"),
              ::jit::testing::IsOkAndHolds(common::v1::ACCESS_REQUEST_STATE_PENDING));
  EXPECT_THAT(ParseState("open"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pending, approved, denied")));
  EXPECT_THAT(ParseFormat("yaml"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("--format text or --format json")));
}

TEST(FormatTest, TableAlignsColumns) {
  EXPECT_EQ(Table({{"A", "BB", "C"}, {"aaa", "b", "c"}}), "A    BB  C\naaa  b   c\n");
}

common::v1::AccessRequest Pending() {
  common::v1::AccessRequest r;
  r.set_id("7f3c1a2b-0000-4000-8000-000000000001");
  r.set_user("alice");
  r.add_roles("developer-read-only-jit");
  r.set_reason("Investigating dashboard latency");
  r.set_state(common::v1::ACCESS_REQUEST_STATE_PENDING);
  *r.mutable_create_time() = ToProtoTimestamp(kNow - absl::Minutes(2));
  *r.mutable_pending_expire_time() = ToProtoTimestamp(kNow + absl::Hours(1));
  r.mutable_requested_duration()->set_seconds(1800);
  auto* review = r.add_reviews();
  review->set_reviewer("bob");
  review->set_verdict(common::v1::AccessReview::VERDICT_APPROVE);
  return r;
}

TEST(FormatTest, RequestTableShowsShortIdStateApprovalsAndTimeLeft) {
  std::string table = RequestTable({Pending()}, kNow);
  EXPECT_THAT(table, HasSubstr("ID        USER   ROLES"));
  EXPECT_THAT(table, HasSubstr("7f3c1a2b  alice  developer-read-only-jit  pending  1"));
  EXPECT_THAT(table, HasSubstr("2m ago"));
  EXPECT_THAT(table, HasSubstr("in 1h"));
  EXPECT_EQ(RequestTable({}, kNow), "no requests\n");
}

TEST(FormatTest, UniquePrefixesGrowPastIdsMadeInTheSameMinute) {
  EXPECT_THAT(UniquePrefixes({"0193a1b2-0001-7aaa", "0193a1b2-0002-7bbb", "77770000-0000-7ccc"}),
              ::testing::ElementsAre("0193a1b2-0001", "0193a1b2-0002", "77770000"));
  EXPECT_THAT(UniquePrefixes({"abc"}), ::testing::ElementsAre("abc"));
}

TEST(FormatTest, TablesReplaceControlCharactersSoAReasonCannotRewriteTheTerminal) {
  EXPECT_EQ(Printable("ok\x1b[1A\x1b[2Kfake\r\x7f \xc2\x9b ünï"), "ok?[1A?[2Kfake?? ? ünï");
  common::v1::AccessRequest r = Pending();
  r.set_reason("latency\x1b]52;c;ZXZpbA==\x07");
  EXPECT_THAT(RequestDetail(r, kNow), HasSubstr("latency?]52;c;ZXZpbA==?"));
  EXPECT_THAT(RequestDetail(r, kNow), ::testing::Not(HasSubstr("\x1b")));
}

TEST(FormatTest, RequestDetailIncludesReviewsAndHistory) {
  common::v1::AccessRequest r = Pending();
  auto* t = r.add_history();
  t->set_to_state(common::v1::ACCESS_REQUEST_STATE_PENDING);
  t->set_actor("alice");
  *t->mutable_time() = ToProtoTimestamp(kNow - absl::Minutes(2));
  std::string detail = RequestDetail(r, kNow);
  EXPECT_THAT(detail, HasSubstr("Duration:  30m"));
  EXPECT_THAT(detail, HasSubstr("bob"));
  EXPECT_THAT(detail, HasSubstr("approve"));
  EXPECT_THAT(detail, HasSubstr("created"));
}

TEST(FormatTest, JsonUsesTheProtobufMapping) {
  std::string json = ToJson(Pending());
  EXPECT_THAT(json, HasSubstr("\"state\":\"ACCESS_REQUEST_STATE_PENDING\""));
  EXPECT_THAT(json, HasSubstr("\"requestedDuration\":\"1800s\""));
  EXPECT_EQ(json.back(), '\n');
  EXPECT_EQ(ToJsonArray({}), "[]\n");
}

TEST(FormatTest, IdPrefixResolvesUniqueMatchesOnly) {
  std::vector<std::string> ids = {"7f3c1a2b-1", "7f3c9999-2", "a1b2c3d4-3"};
  EXPECT_THAT(ResolveIdPrefix("a1", ids), ::jit::testing::IsOkAndHolds(std::string("a1b2c3d4-3")));
  EXPECT_THAT(ResolveIdPrefix("7f3c1", ids),
              ::jit::testing::IsOkAndHolds(std::string("7f3c1a2b-1")));
  EXPECT_THAT(ResolveIdPrefix("7f3c", ids),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("matches 2 requests")));
  EXPECT_THAT(ResolveIdPrefix("ffff", ids),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("jit request ls")));
  EXPECT_THAT(ResolveIdPrefix("", ids), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FormatTest, ErrorSentenceSaysWhatToDo) {
  EXPECT_THAT(ErrorSentence(absl::UnauthenticatedError("session expired.")),
              "session expired; run `jit login` (again)");
  EXPECT_THAT(ErrorSentence(absl::UnavailableError("auth service at x is unavailable")),
              HasSubstr("deploy/local/up.sh"));
  EXPECT_EQ(ErrorSentence(absl::PermissionDeniedError("you cannot approve your own request")),
            "you cannot approve your own request");
}

}  // namespace
}  // namespace jit::cli
