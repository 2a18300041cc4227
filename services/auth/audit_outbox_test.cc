#include "services/auth/audit_outbox.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::testing::MatchesRegex;

TEST(AuditOutboxTest, UuidsAreVersionFourAndDistinct) {
  ASSERT_OK_AND_ASSIGN(std::string a, NewUuid());
  ASSERT_OK_AND_ASSIGN(std::string b, NewUuid());
  EXPECT_THAT(a,
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_NE(a, b);
}

TEST(AuditOutboxTest, EventCarriesEveryField) {
  const absl::Time t = absl::FromUnixMicros(1'800'000'000'123'456);
  ASSERT_OK_AND_ASSIGN(
      AuditEvent e,
      NewAuditEvent(
          "auth.logout", t,
          {.actor = "user:alice", .session_id = "s1", .remote_addr = "ipv4:127.0.0.1:5000"},
          "user:alice", AuditEvent::OUTCOME_SUCCESS, "bye", {{"session", "own"}}));
  EXPECT_EQ(e.type(), "auth.logout");
  EXPECT_EQ(e.service(), "auth");
  EXPECT_EQ(e.time().seconds(), 1'800'000'000);
  EXPECT_EQ(e.time().nanos(), 123'456'000);
  EXPECT_EQ(e.actor(), "user:alice");
  EXPECT_EQ(e.session_id(), "s1");
  EXPECT_EQ(e.remote_addr(), "ipv4:127.0.0.1:5000");
  EXPECT_EQ(e.details().fields().at("session").string_value(), "own");
}

}  // namespace
}  // namespace jit::auth
