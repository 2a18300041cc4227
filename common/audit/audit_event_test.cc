#include "common/audit/audit_event.h"

#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::audit {
namespace {

using ::jit::common::v1::Identity;
using ::testing::MatchesRegex;

constexpr char kUuidV7[] = "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(AuditEventTest, UuidsAreVersionSevenAndDistinct) {
  const absl::Time t = absl::FromUnixMillis(1'800'000'000'123);
  ASSERT_OK_AND_ASSIGN(std::string a, NewUuidV7(t));
  ASSERT_OK_AND_ASSIGN(std::string b, NewUuidV7(t));
  EXPECT_THAT(a, MatchesRegex(kUuidV7));
  EXPECT_THAT(b, MatchesRegex(kUuidV7));
  EXPECT_NE(a, b);
}

TEST(AuditEventTest, UuidCarriesTheUnixMillisecondsOfItsTime) {
  // 1'800'000'000'123 ms = 0x01a3185c507b
  ASSERT_OK_AND_ASSIGN(std::string id, NewUuidV7(absl::FromUnixMillis(1'800'000'000'123)));
  EXPECT_EQ(id.substr(0, 13), "01a3185c-507b");
}

TEST(AuditEventTest, UuidsSortByTimeAlsoWithinAMillisecond) {
  std::string previous;
  for (int64_t micros : {1'800'000'000'000'000, 1'800'000'000'000'001, 1'800'000'000'000'500,
                         1'800'000'000'000'999, 1'800'000'000'001'000, 1'800'000'001'000'000}) {
    ASSERT_OK_AND_ASSIGN(std::string id, NewUuidV7(absl::FromUnixMicros(micros)));
    EXPECT_LT(previous, id) << micros;
    previous = id;
  }
}

TEST(AuditEventTest, EventCarriesEveryFieldAndItsService) {
  const absl::Time t = absl::FromUnixMicros(1'800'000'000'123'456);
  ASSERT_OK_AND_ASSIGN(
      AuditEvent e,
      NewAuditEvent(
          "auth", "auth.logout", t,
          {.actor = "user:alice", .session_id = "s1", .remote_addr = "ipv4:127.0.0.1:5000"},
          "user:alice", AuditEvent::OUTCOME_SUCCESS, "bye", {{"session", "own"}}));
  EXPECT_THAT(e.id(), MatchesRegex(kUuidV7));
  EXPECT_EQ(e.type(), "auth.logout");
  EXPECT_EQ(e.service(), "auth");
  EXPECT_EQ(e.time().seconds(), 1'800'000'000);
  EXPECT_EQ(e.time().nanos(), 123'456'000);
  EXPECT_EQ(e.actor(), "user:alice");
  EXPECT_EQ(e.target(), "user:alice");
  EXPECT_EQ(e.outcome(), AuditEvent::OUTCOME_SUCCESS);
  EXPECT_EQ(e.message(), "bye");
  EXPECT_EQ(e.session_id(), "s1");
  EXPECT_EQ(e.remote_addr(), "ipv4:127.0.0.1:5000");
  EXPECT_EQ(e.details().fields().at("session").string_value(), "own");
}

TEST(AuditEventTest, EventTimeIsKeptToTheMicrosecondAsStored) {
  ASSERT_OK_AND_ASSIGN(
      AuditEvent e, NewAuditEvent("policy", "role.upsert", absl::FromUnixNanos(1'000'000'001'999),
                                  {.actor = "system"}, "role:x", AuditEvent::OUTCOME_SUCCESS, ""));
  EXPECT_EQ(e.time().seconds(), 1000);
  EXPECT_EQ(e.time().nanos(), 1000);
}

TEST(AuditEventTest, ActorOfNamesUsersWithTheirSessionAndServices) {
  Identity user;
  user.set_kind(Identity::KIND_USER);
  user.set_name("alice");
  user.set_session_id("s9");
  const AuditActor a = ActorOf(user, "ipv4:10.0.0.1:1234");
  EXPECT_EQ(a.actor, "user:alice");
  EXPECT_EQ(a.session_id, "s9");
  EXPECT_EQ(a.remote_addr, "ipv4:10.0.0.1:1234");

  Identity service;
  service.set_kind(Identity::KIND_SERVICE);
  service.set_name("ca");
  EXPECT_EQ(ActorOf(service, "").actor, "service:ca");
  EXPECT_EQ(ActorOf(service, "").session_id, "");
  EXPECT_EQ(ActorOf(Identity(), "x").actor, "anonymous");
}

}  // namespace
}  // namespace jit::audit
