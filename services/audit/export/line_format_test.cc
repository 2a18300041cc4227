#include "services/audit/export/line_format.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jit::audit {
namespace {

using jit::common::v1::AuditEvent;

AuditEvent Example() {
  AuditEvent e;
  e.set_sequence(42);
  e.set_id("0190a6b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
  e.set_code("J1001W");
  e.set_type("auth.login.failed");
  e.mutable_time()->set_seconds(1'700'000'000);
  e.mutable_time()->set_nanos(5'000);
  e.set_service("auth");
  e.set_actor("user:a|b=c");
  e.set_outcome(AuditEvent::OUTCOME_DENIED);
  e.set_message("line\nbreak \"quoted\" back\\slash");
  (*e.mutable_details()->mutable_fields())["reason"].set_string_value("bad_password");
  e.mutable_ingest_time()->set_seconds(1'700'000'001);
  e.set_prev_hash(std::string(64, '0'));
  e.set_hash(std::string(64, 'f'));
  return e;
}

TEST(LineFormatTest, JsonLineHoldsEveryFieldOnOneLine) {
  const std::string line = JsonLine(Example());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("{\"sequence\":42,\"id\":", 0), 0u);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["sequence"], 42);
  EXPECT_EQ(j["code"], "J1001W");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.000005Z");
  EXPECT_EQ(j["ingest_time"], "2023-11-14T22:13:21.000000Z");
  EXPECT_EQ(j["outcome"], "denied");
  EXPECT_EQ(j["message"], "line\nbreak \"quoted\" back\\slash");
  EXPECT_EQ(j["details"]["reason"], "bad_password");
  EXPECT_EQ(j["replica"], "");
  EXPECT_EQ(j["hash"], std::string(64, 'f'));
  EXPECT_EQ(j.size(), 18u);
}

TEST(LineFormatTest, SequenceOfAJsonLine) {
  EXPECT_EQ(JsonLineSequence(JsonLine(Example())), 42);
  EXPECT_EQ(JsonLineSequence("{\"sequence\":7,"), 7);
  EXPECT_EQ(JsonLineSequence("{\"sequence\":7"), std::nullopt);
  EXPECT_EQ(JsonLineSequence("{\"id\":1}"), std::nullopt);
  EXPECT_EQ(JsonLineSequence("{\"sequence\":x,"), std::nullopt);
}

TEST(LineFormatTest, CefEscapesHeaderAndExtension) {
  const std::string line = CefLine(Example());
  EXPECT_EQ(
      line.rfind("CEF:0|jit-access|jit-audit|1|J1001W|auth.login.failed|7|rt=1700000000000", 0),
      0u);
  EXPECT_NE(line.find(" suser=user:a|b\\=c"), std::string::npos);
  EXPECT_NE(line.find(" msg=line\\nbreak \"quoted\" back\\\\slash"), std::string::npos);
  EXPECT_NE(line.find(" cn1=42 cn1Label=sequence"), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace jit::audit
