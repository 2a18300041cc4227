#include "services/policy/review_rules/on_call_sources.h"

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

Identity Person(const std::string& name, const std::string& email = "") {
  Identity id;
  id.set_name(name);
  if (!email.empty()) (*id.mutable_traits())["email"].add_values(email);
  return id;
}

TEST(StaticOnCallSourceTest, ShiftsCoverStartToEnd) {
  ASSERT_OK_AND_ASSIGN(auto source, StaticOnCallSource::FromYaml(R"yaml(
shifts:
  - {user: alice, start: "2026-12-07T08:00:00Z", end: "2026-12-14T08:00:00Z"}
  - {user: Bob@Example.com, start: "2026-12-14T08:00:00Z", end: "2026-12-21T08:00:00Z"}
)yaml"));
  EXPECT_EQ(*source->IsOnCall(Person("alice"), At("2026-12-08T01:00:00Z")), true);
  EXPECT_THAT(*source->IsOnCall(Person("alice"), At("2026-12-14T08:00:00Z")), false);
  EXPECT_THAT(*source->IsOnCall(Person("bob", "bob@example.com"), At("2026-12-14T08:00:00Z")),
              true);
  EXPECT_THAT(*source->IsOnCall(Person("bob", "bob@example.com"), At("2026-12-08T01:00:00Z")),
              false);
  EXPECT_THAT(*source->IsOnCall(Person("carol"), At("2026-12-08T01:00:00Z")), false);
}

TEST(StaticOnCallSourceTest, MalformedScheduleIsInvalidArgument) {
  EXPECT_THAT(StaticOnCallSource::FromYaml("shifts: [{user: a, start: yesterday, end: today}]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shifts[0]")));
  EXPECT_THAT(
      StaticOnCallSource::FromYaml("shifts: [{user: a, start: \"2026-12-08T00:00:00Z\", end: "
                                   "\"2026-12-07T00:00:00Z\"}]"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end after start")));
  EXPECT_THAT(StaticOnCallSource::FromYaml("people: []"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The response shape documented for GET /oncalls (PagerDuty REST API v2) with include[]=users.
constexpr char kOnCalls[] = R"json({
  "oncalls": [
    {
      "escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference",
                            "summary": "Engineering Escalation Policy"},
      "escalation_level": 1,
      "schedule": {"id": "PI7DH85", "type": "schedule_reference", "summary": "Daily Engineering Rotation"},
      "user": {"id": "PXPGF42", "type": "user", "summary": "Earline Greenholt",
               "name": "Earline Greenholt", "email": "earline@example.com",
               "time_zone": "America/Lima"},
      "start": "2026-12-08T00:00:00Z",
      "end": "2026-12-09T00:00:00Z"
    },
    {
      "escalation_level": 2,
      "user": {"id": "PAM4FGS", "type": "user", "summary": "Kyler Kuhn",
               "email": "kyler@example.com"},
      "start": null,
      "end": null
    }
  ],
  "limit": 25,
  "offset": 0,
  "more": false,
  "total": null
})json";

TEST(PagerDutyParseTest, ReadsTheDocumentedShape) {
  ASSERT_OK_AND_ASSIGN(std::vector<OnCallShift> shifts, ParsePagerDutyOnCalls(kOnCalls));
  ASSERT_EQ(shifts.size(), 2u);
  EXPECT_EQ(shifts[0].user, "earline@example.com");
  EXPECT_EQ(shifts[0].start, At("2026-12-08T00:00:00Z"));
  EXPECT_EQ(shifts[0].end, At("2026-12-09T00:00:00Z"));
  EXPECT_EQ(shifts[1].start, absl::InfinitePast());
  EXPECT_EQ(shifts[1].end, absl::InfiniteFuture());
}

TEST(PagerDutyParseTest, RefusesOtherShapes) {
  EXPECT_THAT(ParsePagerDutyOnCalls("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePagerDutyOnCalls(R"({"error": {"message": "x"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("oncalls")));
  EXPECT_THAT(
      ParsePagerDutyOnCalls(R"({"oncalls": [{"user": {"id": "P1", "type": "user_reference"}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
  EXPECT_THAT(
      ParsePagerDutyOnCalls(R"({"oncalls": [{"user": {"email": "a@b"}, "start": "yesterday"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

class FakeHttp : public http::HttpClient {
 public:
  absl::StatusOr<http::HttpResponse> Get(std::string_view) override {
    return absl::UnimplementedError("headers are needed");
  }
  absl::StatusOr<http::HttpResponse> GetWithHeaders(
      std::string_view url, const std::vector<http::Field>& headers) override {
    urls.emplace_back(url);
    for (const auto& h : headers) {
      if (h.name == "Authorization") authorization = std::string(h.value.Reveal());
    }
    return response;
  }
  absl::StatusOr<http::HttpResponse> PostForm(std::string_view, const std::vector<http::Field>&,
                                              const std::vector<http::Field>&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<http::HttpResponse> Post(std::string_view, std::string_view, const SecretString&,
                                          const std::vector<http::Field>&) override {
    return absl::UnimplementedError("");
  }
  std::vector<std::string> urls;
  std::string authorization;
  absl::StatusOr<http::HttpResponse> response;
};

TEST(PagerDutyOnCallSourceTest, AsksTheSchedulesWithTheTokenAndCaches) {
  FakeHttp http;
  http.response = http::HttpResponse{.status = 200, .body = kOnCalls};
  FakeClock clock;
  const absl::Time now = At("2026-12-08T01:00:00Z");
  clock.SetTime(now);
  ASSERT_OK_AND_ASSIGN(
      auto source, PagerDutyOnCallSource::Create(&http, &clock, SecretString(std::string("s3cr3t")),
                                                 {.schedule_ids = {"PI7DH85"}}));
  EXPECT_EQ(*source->IsOnCall(Person("earline", "earline@example.com"), now), true);
  EXPECT_EQ(*source->IsOnCall(Person("kyler", "KYLER@example.com"), now), true);
  EXPECT_EQ(*source->IsOnCall(Person("mallory", "mallory@example.com"), now), false);
  ASSERT_EQ(http.urls.size(), 1u);  // cached
  EXPECT_EQ(http.authorization, "Token token=s3cr3t");
  EXPECT_THAT(http.urls[0], HasSubstr("https://api.pagerduty.com/oncalls?"));
  EXPECT_THAT(http.urls[0], HasSubstr("schedule_ids%5B%5D=PI7DH85"));
  EXPECT_THAT(http.urls[0], HasSubstr("include%5B%5D=users"));
  EXPECT_THAT(http.urls[0], HasSubstr("since=2026-12-08T01%3A00%3A00Z"));
  clock.Advance(absl::Seconds(61));
  EXPECT_EQ(*source->IsOnCall(Person("earline", "earline@example.com"), clock.Now()), true);
  EXPECT_EQ(http.urls.size(), 2u);  // the cache lasted cache_ttl
}

TEST(PagerDutyOnCallSourceTest, ErrorsAreUnavailableNotGuesses) {
  FakeHttp http;
  http.response = http::HttpResponse{.status = 401, .body = "{}"};
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto source,
                       PagerDutyOnCallSource::Create(&http, &clock, SecretString(std::string("t")),
                                                     {.schedule_ids = {"P1"}}));
  EXPECT_THAT(source->IsOnCall(Person("a", "a@b"), clock.Now()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("401")));
  http.response = absl::UnavailableError("connect refused");
  EXPECT_THAT(source->IsOnCall(Person("a", "a@b"), clock.Now()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(PagerDutyOnCallSource::Create(&http, &clock, SecretString(std::string("t")), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PagerDutyOnCallSource::Create(&http, &clock, SecretString(std::string("t")),
                                            {.schedule_ids = {"P1&x=y"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::policy
