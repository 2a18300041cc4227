#include "services/audit/chain/canonical.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "services/audit/chain/details_json.h"

namespace jit::audit::chain {
namespace {

using jit::common::v1::AuditEvent;

std::string U32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string U64(uint64_t v) { return U32(static_cast<uint32_t>(v >> 32)) + U32(v); }
std::string Str(const std::string& s) { return U32(s.size()) + s; }

// The example event of docs/AUDIT.md ("Test vector").
AuditEvent DocExample() {
  AuditEvent e;
  e.set_sequence(1);
  e.set_id("0190a6b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
  e.set_code("J1000I");
  e.set_type("auth.login");
  e.mutable_time()->set_seconds(1'700'000'000);
  e.mutable_time()->set_nanos(123'456'000);
  e.set_service("auth");
  e.set_replica("auth-0");
  e.set_actor("user:alice");
  e.set_target("user:alice");
  e.set_outcome(AuditEvent::OUTCOME_SUCCESS);
  e.set_message("login");
  auto& f = *e.mutable_details()->mutable_fields();
  f["method"].set_string_value("password");
  f["mfa"].set_bool_value(true);
  f["attempt"].set_number_value(1.5);
  f["roles"].mutable_list_value()->add_values()->set_string_value("dev");
  f["none"].set_null_value(google::protobuf::NULL_VALUE);
  e.set_session_id("s-1");
  e.set_remote_addr("ipv4:127.0.0.1:5000");
  e.mutable_ingest_time()->set_seconds(1'700'000'001);
  return e;
}

TEST(CanonicalTest, GenesisIs32ZeroBytes) { EXPECT_EQ(GenesisHash(), std::string(32, '\0')); }

TEST(CanonicalTest, EmptyEventEncodesEveryFieldInOrder) {
  const std::string expected = Str("jit-audit-event/v1") + U64(0) + Str("") + Str("") + Str("") +
                               U64(0) + Str("") + Str("") + Str("") + Str("") + U32(0) + Str("") +
                               "o" + U32(0) + Str("") + Str("") + Str("") + U64(0);
  EXPECT_EQ(CanonicalEvent(AuditEvent()), expected);
}

TEST(CanonicalTest, DetailsAreEncodedWithSortedKeysAndTaggedValues) {
  AuditEvent e;
  auto& f = *e.mutable_details()->mutable_fields();
  f["b"].set_bool_value(false);
  f["a"].set_number_value(1);
  f["c"].mutable_struct_value();
  const std::string details = "o" + U32(3) + Str("a") + "d" + U64(0x3ff0000000000000ULL) +
                              Str("b") + "f" + Str("c") + "o" + U32(0);
  EXPECT_NE(CanonicalEvent(e).find(details), std::string::npos);
}

TEST(CanonicalTest, NegativeZeroEncodesAsZero) {
  AuditEvent a, b;
  (*a.mutable_details()->mutable_fields())["x"].set_number_value(-0.0);
  (*b.mutable_details()->mutable_fields())["x"].set_number_value(0.0);
  EXPECT_EQ(CanonicalEvent(a), CanonicalEvent(b));
}

TEST(CanonicalTest, TimesCountWholeMicroseconds) {
  AuditEvent e;
  e.mutable_time()->set_seconds(-1);
  e.mutable_time()->set_nanos(999'999'999);
  EXPECT_EQ(TimestampMicros(e.time()), -1);
  e.mutable_time()->set_seconds(2);
  e.mutable_time()->set_nanos(1'500);
  EXPECT_EQ(TimestampMicros(e.time()), 2'000'001);
}

TEST(CanonicalTest, EveryFieldChangesTheHash) {
  const AuditEvent base = DocExample();
  const std::string h = ChainHash(GenesisHash(), base);
  std::vector<AuditEvent> changed(17, base);
  int i = 0;
  changed[i++].set_sequence(2);
  changed[i++].set_id("0190a6b2-3c4d-7e5f-8a9b-0c1d2e3f4a5c");
  changed[i++].set_code("J1001W");
  changed[i++].set_type("auth.logout");
  changed[i++].mutable_time()->set_nanos(123'457'000);
  changed[i++].set_service("ca");
  changed[i++].set_replica("auth-1");
  changed[i++].set_actor("user:bob");
  changed[i++].set_target("user:bob");
  changed[i++].set_outcome(AuditEvent::OUTCOME_DENIED);
  changed[i++].set_message("login!");
  (*changed[i++].mutable_details()->mutable_fields())["mfa"].set_bool_value(false);
  changed[i++].set_request_id("r");
  changed[i++].set_session_id("s-2");
  changed[i++].set_remote_addr("ipv4:127.0.0.1:5001");
  changed[i++].mutable_ingest_time()->set_seconds(1'700'000'002);
  // A string moved from one field to the next must not give the same bytes.
  changed[i].set_actor("user:alice\x00\x00\x00\x0auser:alice");
  changed[i++].set_target("");
  for (size_t k = 0; k < changed.size(); ++k) {
    EXPECT_NE(ChainHash(GenesisHash(), changed[k]), h) << "change " << k;
  }
}

TEST(CanonicalTest, HashAndPrevHashAreNotEncoded) {
  AuditEvent a = DocExample();
  AuditEvent b = a;
  b.set_hash("ff");
  b.set_prev_hash("ee");
  EXPECT_EQ(CanonicalEvent(a), CanonicalEvent(b));
}

TEST(CanonicalTest, ChainHashCoversThePreviousHash) {
  const AuditEvent e = DocExample();
  EXPECT_NE(ChainHash(GenesisHash(), e), ChainHash(std::string(32, '\x01'), e));
}

// The test vector published in docs/AUDIT.md; an auditor's tool must reproduce it.
TEST(CanonicalTest, DocumentedTestVector) {
  const AuditEvent e = DocExample();
  EXPECT_EQ(DetailsToJson(e.details()),
            R"({"attempt":1.5,"method":"password","mfa":true,"none":null,"roles":["dev"]})");
  EXPECT_EQ(absl::BytesToHexString(ChainHash(GenesisHash(), e)),
            "c33d300357e5aa1927a9898a4013f7c8dbf3f09b5efe717e94ce4352bd200808");
}

TEST(CanonicalTest, CheckpointMessageLayout) {
  const std::string hash(32, '\x07');
  EXPECT_EQ(CheckpointMessage(5, hash, absl::FromUnixMicros(42)),
            Str("jit-audit-checkpoint/v1") + U64(5) + Str(hash) + U64(42));
}

}  // namespace
}  // namespace jit::audit::chain
