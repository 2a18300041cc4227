#include "services/audit/event_validation.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::TestBatch;
using ::jit::audit::testing::TestEvent;
using ::jit::common::v1::AuditEvent;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixNanos(1'700'000'500'654'321'999);

absl::Status ValidateOne(const AuditEvent& e, int index = 0) {
  jit::audit::v1::IngestEventsRequest request = TestBatch(100, index);
  *request.add_events() = e;
  return ValidateBatch(request.events(), kNow).status();
}

TEST(EventValidationTest, NormalisesAValidBatch) {
  jit::audit::v1::IngestEventsRequest request = TestBatch(1, 2);
  AuditEvent& e = *request.mutable_events(0);
  e.set_id("0190A6B2-3C4D-7E5F-8A9B-0C1D2E3F4A5B");
  e.mutable_time()->set_nanos(123'456'789);
  e.set_sequence(99);
  e.set_hash("producer-set");
  e.set_prev_hash("producer-set");
  e.set_code("J9999I");
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEvent> out, ValidateBatch(request.events(), kNow));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id(), "0190a6b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(out[0].time().nanos(), 123'456'000);
  EXPECT_EQ(out[0].code(), "J1000I");
  EXPECT_EQ(out[0].ingest_time().seconds(), 1'700'000'500);
  EXPECT_EQ(out[0].ingest_time().nanos(), 654'321'000);
  EXPECT_EQ(out[0].sequence(), 0);
  EXPECT_EQ(out[0].hash(), "");
  EXPECT_EQ(out[0].prev_hash(), "");
  EXPECT_EQ(out[1].actor(), "user:alice");
}

TEST(EventValidationTest, AnUnknownTypeIsStoredWithAnEmptyCode) {
  jit::audit::v1::IngestEventsRequest request = TestBatch(1, 1, "future.thing.happened");
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEvent> out, ValidateBatch(request.events(), kNow));
  EXPECT_EQ(out[0].code(), "");
}

TEST(EventValidationTest, AnEmptyBatchIsValid) { EXPECT_THAT(ValidateBatch({}, kNow), IsOk()); }

TEST(EventValidationTest, ABatchOverTheCapIsRefused) {
  EXPECT_THAT(ValidateBatch(TestBatch(1, kMaxBatchEvents).events(), kNow), IsOk());
  EXPECT_THAT(ValidateBatch(TestBatch(1, kMaxBatchEvents + 1).events(), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events: 1001 events, over the limit of 1000 per batch")));
}

TEST(EventValidationTest, RefusesAMissingOrMalformedId) {
  AuditEvent e = TestEvent(1);
  e.clear_id();
  EXPECT_THAT(ValidateOne(e, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[3].id: missing")));
  e.set_id("not-a-uuid");
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].id: not a UUID")));
  e.set_id("0190a6b2x3c4d-7e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, RefusesAMissingOrMalformedType) {
  AuditEvent e = TestEvent(1);
  e.clear_type();
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].type: missing")));
  for (const char* bad : {"login", "Auth.login", "auth..login", "auth.login.", ".auth", "auth.1x",
                          "auth.lo-gin", "auth.login*"}) {
    e.set_type(bad);
    EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("events[0].type: must be dotted")))
        << bad;
  }
  e.set_type("a." + std::string(127, 'b'));
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit of 128")));
}

TEST(EventValidationTest, RefusesAMissingOrOutOfRangeTime) {
  AuditEvent e = TestEvent(1);
  e.clear_time();
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].time: missing")));
  e.mutable_time()->set_seconds(-1);
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("events[0].time: out of range")));
  e.mutable_time()->set_seconds(253402300800);
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e.mutable_time()->set_seconds(1);
  e.mutable_time()->set_nanos(1'000'000'000);
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, RefusesAMissingService) {
  AuditEvent e = TestEvent(1);
  e.clear_service();
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("events[0].service: missing")));
}

TEST(EventValidationTest, RefusesOversizedText) {
  AuditEvent e = TestEvent(1);
  e.set_message(std::string(4096, 'm'));
  EXPECT_THAT(ValidateOne(e), IsOk());
  e.set_message(std::string(4097, 'm'));
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].message: 4097 bytes, over the limit of 4096")));
  e = TestEvent(1);
  e.set_actor(std::string(1025, 'a'));
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("events[0].actor: 1025 bytes")));
}

TEST(EventValidationTest, RefusesDetailsOver64KiB) {
  AuditEvent e = TestEvent(1);
  e.clear_details();
  // {"k":"<v>"} is 8 bytes plus the value.
  (*e.mutable_details()->mutable_fields())["k"].set_string_value(std::string(65536 - 8, 'v'));
  EXPECT_THAT(ValidateOne(e), IsOk());
  (*e.mutable_details()->mutable_fields())["k"].set_string_value(std::string(65536 - 7, 'v'));
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].details: 65537 bytes, over the limit of 65536")));
}

TEST(EventValidationTest, RefusesNumbersWithoutAJsonForm) {
  for (double d : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    AuditEvent e = TestEvent(1);
    (*e.mutable_details()->mutable_fields())["x"].set_number_value(d);
    EXPECT_THAT(ValidateOne(e),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].details: NaN")));
  }
}

TEST(EventValidationTest, RefusesDetailsNestedTooDeep) {
  AuditEvent e = TestEvent(1);
  e.clear_details();
  google::protobuf::Struct* s = e.mutable_details();
  for (int depth = 1; depth < kMaxDetailsDepth; ++depth) {
    s = (*s->mutable_fields())["d"].mutable_struct_value();
  }
  EXPECT_THAT(ValidateOne(e), IsOk());
  (*s->mutable_fields())["d"].mutable_struct_value();
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper than 32")));
}

TEST(EventValidationTest, RefusesTextPostgresCannotStore) {
  AuditEvent e = TestEvent(1);
  e.set_target(std::string("a\0b", 3));
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("events[0].target: not valid UTF-8")));
  e = TestEvent(1);
  e.set_message("\xc3\x28");
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = TestEvent(1);
  (*e.mutable_details()->mutable_fields())[std::string("k\0", 2)].set_bool_value(true);
  EXPECT_THAT(ValidateOne(e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].details: a key")));
}

TEST(EventValidationTest, RefusesAnUnknownOutcome) {
  AuditEvent e = TestEvent(1);
  e.set_outcome(static_cast<AuditEvent::Outcome>(9));
  EXPECT_THAT(ValidateOne(e), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("events[0].outcome: unknown value 9")));
}

TEST(EventValidationTest, ReportsTheIndexOfTheBadEvent) {
  jit::audit::v1::IngestEventsRequest request = TestBatch(1, 5);
  request.mutable_events(3)->clear_service();
  EXPECT_THAT(ValidateBatch(request.events(), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[3].service")));
}

TEST(EventValidationTest, StorableText) {
  EXPECT_TRUE(IsStorableText("plain"));
  EXPECT_TRUE(IsStorableText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsStorableText(std::string("\0", 1)));
  EXPECT_FALSE(IsStorableText("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsStorableText("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsStorableText("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsStorableText("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace jit::audit
